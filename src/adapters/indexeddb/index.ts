export { indexedDbAdapter } from './indexeddb-adapter.js';
export type { IndexedDbAdapter, IndexedDbAdapterOptions } from './indexeddb-adapter.js';
export { userStorageName } from '../../core/index.js';
