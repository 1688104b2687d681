export { createFakeClock, flushMicrotasks } from './fake-clock.js';
export type { FakeClock, FakeClockOptions } from './fake-clock.js';
export { randomSeed, seededRandom } from './random.js';
export type { SeededRandom } from './random.js';
export { simulatedNetwork } from './simulated-network.js';
export type {
  NetworkFaults,
  NetworkStats,
  SimulatedNetwork,
  SimulatedNetworkOptions,
} from './simulated-network.js';
export { createTestHarness } from './test-harness.js';
export type {
  HarnessClientOptions,
  HarnessServerOptions,
  RestartClientOptions,
  RestartServerOptions,
  SettleOptions,
  TestHarness,
  TestHarnessOptions,
} from './test-harness-types.js';
export { ConvergenceError, SettleError } from './harness-errors.js';
export {
  canonicalJson,
  clientSnapshot,
  diffSnapshots,
  serverSnapshot,
  snapshotDigest,
} from './replica-snapshot.js';
export type { ReplicaIssue, ReplicaSnapshot } from './replica-snapshot.js';
export { storageAdapterConformanceCases } from './conformance/storage-adapter.js';
export type {
  CreateStorageAdapter,
  StorageConformanceCase,
} from './conformance/storage-adapter.js';
export { sampleServerRecord } from './conformance/server-store-fixtures.js';
export type { CreateServerStore, ServerStoreFixture } from './conformance/server-store-fixtures.js';
// The vitest runners (runStorageAdapterConformance, runServerStoreConformance) live in
// `tidesync/testing/vitest`: this entry imports no test framework (node:test, Jest, browsers).
