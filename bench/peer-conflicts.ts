import type { RxCollection } from 'rxdb';
import { localPouch, startPouchServer, startRxdbEndpoint } from './peer-servers.js';
import { pouchDoc, rxdbReplica, rxdbReplicate } from './peer-replicas.js';
import { timeMs, todoDoc, type TodoDoc } from './workload.js';

type Edit = (doc: TodoDoc, index: number) => Partial<TodoDoc>;

const editA: Edit = (d) => ({ title: `A ${d.title}` });
const editB =
  (n: number): Edit =>
  (d, i) =>
    i < n / 2 ? { done: !d.done } : { title: `B ${d.title}` };

function sameState(a: readonly TodoDoc[], b: readonly TodoDoc[], peer: string): void {
  const key = (docs: readonly TodoDoc[]) =>
    JSON.stringify(docs.map((d) => [d.id, d.title, d.done]).sort());
  if (key(a) !== key(b)) throw new Error(`W4 ${peer}: replicas differ after sync`);
}

async function rxdbDocs(todos: RxCollection<TodoDoc>): Promise<TodoDoc[]> {
  return (await todos.find({ sort: [{ id: 'asc' }] }).exec()).map((d) => d.toJSON() as TodoDoc);
}

async function rxdbEdit(todos: RxCollection<TodoDoc>, edit: Edit): Promise<void> {
  const docs = await todos.find({ sort: [{ id: 'asc' }] }).exec();
  let i = 0;
  for (const doc of docs) {
    await doc.incrementalPatch({ ...edit(doc.toJSON() as TodoDoc, i), updatedAt: Date.now() + i });
    i += 1;
  }
}

/**
 * W4 on RxDB: the two-device scenario against the bench endpoint; RxDB's default conflict
 * handler (the master state wins) resolves on the client. Returns ms from A's first sync to
 * convergence.
 */
export async function rxdbConflicts(n: number): Promise<number> {
  const endpoint = await startRxdbEndpoint();
  const a = await rxdbReplica();
  const b = await rxdbReplica();
  try {
    await a.todos.bulkInsert(Array.from({ length: n }, (_, i) => todoDoc(i)));
    const both = { push: true, pull: true };
    await rxdbReplicate(a.todos, endpoint.url, both);
    await rxdbReplicate(b.todos, endpoint.url, both);
    await rxdbEdit(a.todos, editA);
    await rxdbEdit(b.todos, editB(n));
    const ms = await timeMs(async () => {
      await rxdbReplicate(a.todos, endpoint.url, both);
      await rxdbReplicate(b.todos, endpoint.url, both);
      await rxdbReplicate(a.todos, endpoint.url, both);
    });
    sameState(await rxdbDocs(a.todos), await rxdbDocs(b.todos), 'rxdb');
    return ms;
  } finally {
    await a.db.close();
    await b.db.close();
    await endpoint.close();
  }
}

let counter = 0;

async function pouchDocs(db: {
  allDocs(o: object): Promise<{ rows: { doc: TodoDoc & { _rev: string } }[] }>;
}) {
  return (await db.allDocs({ include_docs: true })).rows.map((r) => r.doc);
}

/**
 * W4 on PouchDB: the same scenario through a PouchDB server; PouchDB keeps both revisions and
 * picks the same deterministic winner everywhere. Returns ms from A's first sync to convergence.
 */
export async function pouchConflicts(n: number): Promise<number> {
  const server = await startPouchServer();
  counter += 1;
  const a = localPouch(`w4a-${counter}`);
  const b = localPouch(`w4b-${counter}`);
  try {
    await a.bulkDocs(Array.from({ length: n }, (_, i) => pouchDoc(i)));
    await a.replicate.to(server.url);
    await b.replicate.from(server.url);
    const edit = async (db: typeof a, fn: Edit) => {
      const docs = await pouchDocs(db);
      await db.bulkDocs(docs.map((d, i) => ({ ...d, ...fn(d, i) })));
    };
    await edit(a, editA);
    await edit(b, editB(n));
    const ms = await timeMs(async () => {
      await a.sync(server.url);
      await b.sync(server.url);
      await a.sync(server.url);
    });
    sameState(await pouchDocs(a), await pouchDocs(b), 'pouchdb');
    return ms;
  } finally {
    await a.destroy();
    await b.destroy();
    await server.close();
  }
}
