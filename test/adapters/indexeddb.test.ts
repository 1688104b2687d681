import { IDBFactory } from 'fake-indexeddb';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
// Imported by path until src/testing/index.ts re-exports it as `tidesync/testing`.
import { runStorageAdapterConformance } from '../../src/testing/conformance/storage-adapter-vitest.js';

runStorageAdapterConformance('indexeddb (fake-indexeddb)', () =>
  indexedDbAdapter({ name: 'conformance', indexedDB: new IDBFactory() }),
);
