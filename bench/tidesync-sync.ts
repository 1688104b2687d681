import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { SyncClient } from 'tidesync';
import { createSyncClient, httpTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { pullInChild, type PullReplica } from './pull-in-child.js';
import { startTidesyncServer, type StoreKind } from './tidesync-server.js';
import { timeMs, todoFields, todosCollection } from './workload.js';

let counter = 0;

/** A client on a SQLite file (or memory) syncing over HTTP to `url`, no triggers. */
export async function httpClient(
  url: string,
  dir: string,
  adapter: 'sqlite' | 'memory' = 'sqlite',
  strategy: Parameters<typeof todosCollection>[0] = 'fieldMerge',
): Promise<SyncClient> {
  counter += 1;
  return createSyncClient({
    collections: [todosCollection(strategy)],
    storage:
      adapter === 'memory'
        ? memoryAdapter()
        : sqliteAdapter({
            driver: betterSqlite3Driver(new Database(join(dir, `sync${counter}.db`))),
          }),
    transport: httpTransport({ url }),
    triggers: [],
    ...(process.env['BATCH'] ? { batchSize: Number(process.env['BATCH']) } : {}),
  });
}

/** Creates `n` records offline in chunks (untimed). */
export async function createOffline(client: SyncClient, n: number, offset = 0): Promise<void> {
  const chunk = 10_000;
  for (let i = 0; i < n; i += chunk) {
    const size = Math.min(chunk, n - i);
    await client
      .collection('todos')
      .insertMany(Array.from({ length: size }, (_, k) => todoFields(offset + i + k)));
  }
}

/** One W2 + W3 round: push time, then a fresh pull per replica in a child process. */
export interface SyncRound {
  readonly pushMs: number;
  readonly pulls: Map<PullReplica, { ms: number; peakRssMb: number; rssBeforeMb: number }>;
}

/**
 * W2: `n` records created offline on a SQLite (or memory) client are pushed over loopback HTTP to a fresh
 * server on `store`; timed until `sync()` resolves and the store holds all `n`. Then W3: each
 * of `pullers` pulls all of them into a fresh replica in its own process.
 */
export async function tidesyncRound(
  store: StoreKind,
  n: number,
  dir: string,
  pgUrl: string | undefined,
  pullers: readonly PullReplica[],
  clientAdapter: 'sqlite' | 'memory' = 'sqlite',
): Promise<SyncRound> {
  const server = await startTidesyncServer(store, [todosCollection()], dir, pgUrl);
  try {
    const client = await httpClient(server.url, dir, clientAdapter);
    await createOffline(client, n);
    let pushed = 0;
    const pushMs = await timeMs(async () => {
      pushed = (await client.sync()).pushed;
    });
    await client.close();
    const held = await server.count();
    if (pushed !== n || held !== n)
      throw new Error(`W2 ${store}: pushed ${pushed}, server holds ${held}, expected ${n}`);
    const pulls: SyncRound['pulls'] = new Map();
    for (const replica of pullers) {
      try {
        const r = await pullInChild(replica, server.url, n);
        pulls.set(replica, { ms: r.ms, peakRssMb: r.peakRssMb, rssBeforeMb: r.rssBeforeMb });
      } catch (error) {
        // A heap-capped pull that runs out of memory is a result (live data exceeds the cap).
        if (!replica.endsWith('-heap64')) throw error;
        pulls.set(replica, { ms: NaN, peakRssMb: NaN, rssBeforeMb: NaN });
      }
    }
    return { pushMs, pulls };
  } finally {
    await server.close();
  }
}

/**
 * W4, the two-device scenario of issue 5 with `n` records: A and B start synced; offline, A
 * changes `title` on all, B changes `done` on the first half and `title` on the second half;
 * then A syncs, B syncs, A syncs. Timed from A's first sync to convergence, which is checked.
 */
export async function tidesyncConflicts(
  n: number,
  dir: string,
  strategy: 'fieldMerge' | 'lastWriteWins',
): Promise<number> {
  const collections = [todosCollection(strategy)];
  const server = await startTidesyncServer('sqlite', collections, dir);
  try {
    const a = await httpClient(server.url, dir, 'sqlite', strategy);
    const b = await httpClient(server.url, dir, 'sqlite', strategy);
    await createOffline(a, n);
    await a.sync();
    await b.sync();
    const rowsA = await a.collection('todos').find({ orderBy: [['title', 'asc']] });
    const rowsB = await b.collection('todos').find({ orderBy: [['title', 'asc']] });
    for (const r of rowsA) await a.collection('todos').update(r.id, { title: `A ${r.title}` });
    for (let i = 0; i < rowsB.length; i += 1) {
      const r = rowsB[i]!;
      if (i < n / 2) await b.collection('todos').update(r.id, { done: !r.done });
      else await b.collection('todos').update(r.id, { title: `B ${r.title}` });
    }
    const ms = await timeMs(async () => {
      await a.sync();
      await b.sync();
      await a.sync();
    });
    const snap = async (c: SyncClient) =>
      JSON.stringify(
        (await c.collection('todos').find({ orderBy: [['serverId', 'asc']] })).map((r) => [
          r.serverId,
          r.title,
          r.done,
          r.syncStatus,
        ]),
      );
    const [sa, sb] = [await snap(a), await snap(b)];
    if (sa !== sb) throw new Error(`W4 ${strategy}: replicas differ after sync`);
    const rows = await a.collection('todos').find();
    if (
      strategy === 'fieldMerge' &&
      rows.filter((r) => String(r.title).startsWith('A ')).length !== n / 2
    ) {
      throw new Error('W4 fieldMerge: expected A titles on the first half only');
    }
    await a.close();
    await b.close();
    return ms;
  } finally {
    await server.close();
  }
}
