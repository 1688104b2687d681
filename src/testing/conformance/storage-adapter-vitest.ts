import { describe, it } from 'vitest';
import type { CreateStorageAdapter } from './storage-adapter.js';
import { storageAdapterConformanceCases } from './storage-adapter.js';

/**
 * Registers the storage adapter conformance suite with vitest: one `it` per case inside a
 * `describe` named after the adapter. Call it at the top level of an adapter's test file.
 *
 * @param name - shown in the describe title, such as `sqlite (better-sqlite3, file)`.
 * @param createAdapter - returns a fresh, empty, not yet opened adapter on each call.
 * @example
 * runStorageAdapterConformance('memory', () => memoryAdapter());
 */
export function runStorageAdapterConformance(
  name: string,
  createAdapter: CreateStorageAdapter,
): void {
  describe(`storage adapter conformance: ${name}`, () => {
    for (const c of storageAdapterConformanceCases) it(c.name, () => c.run(createAdapter));
  });
}
