import { memoryServerStore } from 'tidesync/server';
import { runServerStoreConformance } from '../../src/testing/conformance/server-store.js';

runServerStoreConformance('memory', async () => ({ store: memoryServerStore() }));
