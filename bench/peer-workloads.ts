import { pouchDoc, rxdbReplica, rxdbReplicate } from './peer-replicas.js';
import { localPouch, startPouchServer, startRxdbEndpoint } from './peer-servers.js';
import { pullInChild } from './pull-in-child.js';
import type { SyncRound } from './tidesync-sync.js';
import { timeMs, todoDoc } from './workload.js';

/** W1 on a peer: [insert one at a time, update one at a time, bulk insert] in ms. */
export async function rxdbLocalWrites(n: number): Promise<[number, number, number]> {
  const { db, todos } = await rxdbReplica();
  const docs: { incrementalPatch(p: object): Promise<unknown> }[] = [];
  const insertMs = await timeMs(async () => {
    for (let i = 0; i < n; i += 1) docs.push(await todos.insert(todoDoc(i)));
  });
  const updateMs = await timeMs(async () => {
    for (const d of docs)
      await d.incrementalPatch({ done: true, priority: 4, updatedAt: Date.now() });
  });
  const bulk = await rxdbReplica();
  const rows = Array.from({ length: n }, (_, i) => todoDoc(i));
  const bulkMs = await timeMs(() => bulk.todos.bulkInsert(rows));
  await db.close();
  await bulk.db.close();
  return [insertMs, updateMs, bulkMs];
}

let counter = 0;

/** W1 on PouchDB (memory adapter): [insert one at a time, update one at a time, bulkDocs] in ms. */
export async function pouchLocalWrites(n: number): Promise<[number, number, number]> {
  counter += 1;
  const db = localPouch(`w1-${counter}`);
  const revs: { doc: ReturnType<typeof pouchDoc>; rev: string }[] = [];
  const insertMs = await timeMs(async () => {
    for (let i = 0; i < n; i += 1) {
      const doc = pouchDoc(i);
      revs.push({ doc, rev: ((await db.put(doc)) as { rev: string }).rev });
    }
  });
  const updateMs = await timeMs(async () => {
    for (const { doc, rev } of revs) await db.put({ ...doc, _rev: rev, done: true, priority: 4 });
  });
  const bulk = localPouch(`w1-bulk-${counter}`);
  const rows = Array.from({ length: n }, (_, i) => pouchDoc(i));
  const bulkMs = await timeMs(() => bulk.bulkDocs(rows));
  await db.destroy();
  await bulk.destroy();
  return [insertMs, updateMs, bulkMs];
}

/** W2 + W3 on RxDB: push `n` docs from a memory replica to the endpoint, then a fresh pull. */
export async function rxdbRound(n: number): Promise<SyncRound> {
  const endpoint = await startRxdbEndpoint();
  try {
    const { db, todos } = await rxdbReplica();
    await todos.bulkInsert(Array.from({ length: n }, (_, i) => todoDoc(i)));
    const pushMs = await timeMs(() => rxdbReplicate(todos, endpoint.url, { push: true }));
    await db.close();
    const held = await endpoint.count();
    if (held !== n) throw new Error(`W2 rxdb: endpoint holds ${held}, expected ${n}`);
    const r = await pullInChild('rxdb', endpoint.url, n);
    return { pushMs, pulls: new Map([['rxdb', r]]) };
  } finally {
    await endpoint.close();
  }
}

/** W2 + W3 on PouchDB: replicate `n` docs to a PouchDB server, then a fresh pull. */
export async function pouchRound(n: number): Promise<SyncRound> {
  const server = await startPouchServer();
  try {
    counter += 1;
    const db = localPouch(`push-${counter}`);
    for (let i = 0; i < n; i += 10_000) {
      await db.bulkDocs(Array.from({ length: Math.min(10_000, n - i) }, (_, k) => pouchDoc(i + k)));
    }
    const pushMs = await timeMs(() => db.replicate.to(server.url));
    await db.destroy();
    const held = await server.count();
    if (held !== n) throw new Error(`W2 pouchdb: server holds ${held}, expected ${n}`);
    const r = await pullInChild('pouchdb', server.url, n);
    return { pushMs, pulls: new Map([['pouchdb', r]]) };
  } finally {
    await server.close();
  }
}
