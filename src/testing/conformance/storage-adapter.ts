import type { StorageConformanceCase } from './storage-fixtures.js';
import { storageBatchLookupCases } from './storage-batch-lookup-cases.js';
import { storageOutboxCases } from './storage-outbox-cases.js';
import { storageQueryCases } from './storage-query-cases.js';
import { storageRecordCases } from './storage-record-cases.js';
import { storageTransactionCases } from './storage-transaction-cases.js';

export type { CreateStorageAdapter, StorageConformanceCase } from './storage-fixtures.js';

/**
 * Every check a `StorageAdapter` must pass, as plain async functions with no test framework
 * attached, so they run under vitest (see `runStorageAdapterConformance`) and inside a browser
 * page alike. Each case receives a factory of fresh, empty, not yet opened adapters, opens and
 * closes what it creates, and throws an `Error` describing the first violation.
 *
 * @example
 * for (const c of storageAdapterConformanceCases) await c.run(() => myAdapter());
 */
export const storageAdapterConformanceCases: readonly StorageConformanceCase[] = [
  ...storageRecordCases,
  ...storageBatchLookupCases,
  ...storageQueryCases,
  ...storageOutboxCases,
  ...storageTransactionCases,
];
