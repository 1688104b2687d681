// Shared by the conflict tests (client and React): two devices editing one todo concurrently.
import type { CollectionDefinition, SyncClient } from 'tidesync';
import { createSyncClient, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, memoryServerStore } from 'tidesync/server';

/**
 * Two devices on one memory server. `a` inserts 'milk' into `todos` (which must resolve with
 * `manual()`), both sync, `a` renames it to 'oat milk' and syncs, then `b` renames its copy to
 * 'soy milk' without syncing: `b`'s next sync makes the record conflicted. Every client is
 * pushed onto `clients` so the test can close it.
 */
export async function concurrentEdits(
  todos: CollectionDefinition,
  collections: readonly CollectionDefinition[],
  clients: SyncClient[],
): Promise<{ a: SyncClient; b: SyncClient; id: string }> {
  const server = createSyncServer({
    collections,
    store: memoryServerStore(),
    authorize: () => ({ userId: 'alice' }),
  });
  const device = async () => {
    const client = await createSyncClient({
      collections,
      storage: memoryAdapter(),
      transport: directTransport(server),
      triggers: [],
    });
    clients.push(client);
    return client;
  };
  const a = await device();
  const b = await device();
  const todo = await a.collection(todos).insert({ title: 'milk', done: false });
  await a.sync();
  await b.sync();
  const id = (await b.collection(todos).find())[0]!.id;
  await a.collection(todos).update(todo.id, { title: 'oat milk' });
  await a.sync();
  await b.collection(todos).update(id, { title: 'soy milk' });
  return { a, b, id };
}
