export { createMemoryStore, memoryAdapter } from './memory-adapter.js';
export type { MemoryAdapterOptions, MemoryStore } from './memory-adapter.js';
