import { createRxDatabase, type RxCollection, type RxDatabase } from 'rxdb';
import { replicateRxCollection } from 'rxdb/plugins/replication';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { localPouch } from './peer-servers.js';
import { timeMs, todoDoc, type TodoDoc } from './workload.js';

const rxSchema = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 40 },
    title: { type: 'string' },
    done: { type: 'boolean' },
    priority: { type: 'number' },
    tags: { type: 'array', items: { type: 'string' } },
    updatedAt: { type: 'number' },
  },
  required: ['id', 'title', 'done', 'priority', 'tags', 'updatedAt'],
} as const;

let counter = 0;

/** A fresh RxDB database on the memory storage with a `todos` collection. */
export async function rxdbReplica(): Promise<{ db: RxDatabase; todos: RxCollection<TodoDoc> }> {
  counter += 1;
  const db = await createRxDatabase({
    name: `bench${process.pid}x${counter}`,
    storage: getRxStorageMemory(),
  });
  const { todos } = await db.addCollections({ todos: { schema: rxSchema } });
  return { db, todos: todos as unknown as RxCollection<TodoDoc> };
}

/** One-shot RxDB replication against the bench endpoint (push, pull or both). */
export async function rxdbReplicate(
  todos: RxCollection<TodoDoc>,
  url: string,
  directions: { push?: boolean; pull?: boolean },
): Promise<void> {
  const state = replicateRxCollection<TodoDoc, { seq: number }>({
    collection: todos,
    replicationIdentifier: `bench-${url}`,
    live: false,
    ...(directions.push
      ? {
          push: {
            handler: async (rows) => {
              const res = await fetch(`${url}/push`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(rows),
              });
              return (await res.json()) as never;
            },
          },
        }
      : {}),
    ...(directions.pull
      ? {
          pull: {
            handler: async (checkpoint, batchSize) => {
              const res = await fetch(`${url}/pull?seq=${checkpoint?.seq ?? 0}&limit=${batchSize}`);
              return (await res.json()) as never;
            },
          },
        }
      : {}),
  });
  let failure: unknown;
  const sub = state.error$.subscribe((error) => (failure = error));
  await state.awaitInitialReplication();
  sub.unsubscribe();
  await state.cancel();
  if (failure) throw failure;
}

/** W3 for RxDB: a fresh memory replica pulls everything; [ms, records]. */
export async function rxdbPull(url: string): Promise<[number, number]> {
  const { db, todos } = await rxdbReplica();
  const ms = await timeMs(() => rxdbReplicate(todos, url, { pull: true }));
  const count = await todos.count().exec();
  await db.close();
  return [ms, count];
}

/** W3 for PouchDB: a fresh memory database replicates from the server; [ms, records]. */
export async function pouchPull(url: string): Promise<[number, number]> {
  counter += 1;
  const db = localPouch(`pull${counter}`);
  const ms = await timeMs(() => db.replicate.from(url));
  const count = ((await db.info()) as { doc_count: number }).doc_count;
  await db.destroy();
  return [ms, count];
}

/** A PouchDB document of record `i`. */
export function pouchDoc(i: number, prefix = 'r'): TodoDoc & { _id: string } {
  const doc = todoDoc(i, prefix);
  return { _id: doc.id, ...doc };
}
