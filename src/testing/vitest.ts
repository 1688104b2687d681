// `tidesync/testing/vitest`: the conformance suites registered with vitest (`describe`/`it`).
// Everything framework-free stays in `tidesync/testing`.
export { runStorageAdapterConformance } from './conformance/storage-adapter-vitest.js';
export { runServerStoreConformance } from './conformance/server-store.js';
export type { CreateStorageAdapter } from './conformance/storage-adapter.js';
export type { CreateServerStore, ServerStoreFixture } from './conformance/server-store-fixtures.js';
