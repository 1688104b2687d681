/**
 * Page script for the schema upgrade browser test: a version-1 app writes to the browser's own
 * IndexedDB, and after a reload the version-3 app opens it (local upgrade at open). Exposed on
 * `window.schemaUpgradePage`.
 */
import { createSyncClient } from 'tidesync';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { SCHEMA_VERSIONS_META_KEY } from '../../../src/client/local/local-upgrade.js';
import { todosV1, todosV3 } from '../../schema/todo-versions.js';

/** What the version-3 app found, and what is stored after its open. */
export interface UpgradedState {
  readonly rows: { name: unknown; done: unknown; priority: unknown; syncStatus: string }[];
  readonly opData: unknown[];
  readonly versions: unknown;
}

/** The functions this page exposes. */
export interface SchemaUpgradePageApi {
  writeVersion1(name: string): Promise<void>;
  openVersion3(name: string): Promise<UpgradedState>;
}

declare global {
  interface Window {
    schemaUpgradePage?: SchemaUpgradePageApi;
  }
}

window.schemaUpgradePage = {
  async writeVersion1(name) {
    const client = await createSyncClient({
      collections: [todosV1],
      storage: indexedDbAdapter({ name }),
      triggers: [],
    });
    await client.collection('todos').insert({ title: 'a', done: false });
    await client.collection('todos').insert({ title: 'b', done: true });
    await client.close();
  },
  async openVersion3(name) {
    const client = await createSyncClient({
      collections: [todosV3],
      storage: indexedDbAdapter({ name }),
      triggers: [],
    });
    const rows = (await client.collection('todos').find({ orderBy: [['name', 'asc']] })).map(
      (r) => ({ name: r.name, done: r.done, priority: r.priority, syncStatus: r.syncStatus }),
    );
    await client.close();
    const storage = indexedDbAdapter({ name });
    await storage.open();
    const stored = await storage.transaction('readonly', async (tx) => ({
      opData: (await tx.listOps()).map((op) => op.data),
      versions: await tx.getMeta(SCHEMA_VERSIONS_META_KEY),
    }));
    await storage.close();
    return { rows, ...stored };
  },
};
