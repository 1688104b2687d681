// Issue 19's two measures, on SQLite and Postgres stores:
// 1. The initial sync of one 10,000-record sync set from a server store that also holds N
//    records of 100 other subsets (N = 1,000,000 by default), against the same sync from a
//    store holding only those 10,000: time and the peak RSS of this process during the sync
//    (sampled every 20 ms). Target: within 2x.
// 2. One user's pull cost (a fresh device pulls their 1,000 records through the server) as
//    other users' writes grow 10,000 → 100,000 → 1,000,000 in one store. Target: 1M/10k ≤ 1.3x.
// Stores are seeded straight into their tables (bench/sets-seed.ts), checked first against the
// rows the store API writes for a sample. `BENCH_ONLY=sets npm run bench` (`BENCH_SETS_N`,
// `BENCH_SETS_PG_N` override N; `BENCH_QUICK=1`: small sizes).
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { z } from 'zod';
import { createSyncClient, defineCollection, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import type { ServerStore, SyncServer } from 'tidesync/server';
import { createSyncServer, postgresServerStore, sqliteServerStore } from 'tidesync/server';
import type { Figure } from './report.js';
import type { SeedRun } from './sets-seed.js';
import { dumpTables, seedPostgres, seedSqlite, seedThroughStore } from './sets-seed.js';
import { QUICK, median } from './workload.js';

const fields = { title: z.string(), region: z.string() };
const orders = defineCollection({
  name: 'orders',
  schema: z.object(fields),
  sync: 'sets',
  indexes: ['region'],
});
/** A feed collection (`sync: 'all'`) for the second measure. */
const notes = defineCollection({ name: 'notes', schema: z.object(fields) });
const collections = [orders, notes];

type Kind = 'sqlite' | 'postgres';

/** A store of one kind, its bulk seeder, and how to drop it. */
interface StoreHandle {
  readonly store: ServerStore;
  seed(runs: readonly SeedRun[]): Promise<void>;
  /** Every row of the records and set-index tables (for the seeding check). */
  dump(): Promise<unknown>;
  close(): Promise<void>;
}

let counter = 0;

async function openStore(kind: Kind, dir: string, pgUrl?: string): Promise<StoreHandle> {
  counter += 1;
  if (kind === 'sqlite') {
    const db = new Database(join(dir, `sets${counter}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const store = sqliteServerStore(db);
    await store.open();
    return {
      store,
      seed: async (runs) => seedSqlite(db, runs),
      dump: () =>
        dumpTables(
          async (sql) => db.prepare(sql).all(),
          'tidesync_',
          (c) => c,
        ),
      close: async () => {
        await store.close();
        db.close();
      },
    };
  }
  const schema = `bench_sets_${process.pid}_${counter}`;
  const pool = new pg.Pool({ connectionString: pgUrl, max: 4 });
  const store = postgresServerStore(pool, { schema });
  await store.open();
  return {
    store,
    async seed(runs) {
      await seedPostgres(pool, schema, runs);
      // Fresh statistics, as autovacuum would gather them on a table this size.
      await pool.query(`ANALYZE "${schema}".tidesync_records`);
      await pool.query(`ANALYZE "${schema}".tidesync_set_index`);
    },
    dump: () =>
      dumpTables(
        async (sql) => (await pool.query(sql)).rows,
        `"${schema}".tidesync_`,
        (c) => `${c}::text AS ${c}`,
      ),
    async close() {
      await store.close();
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

/**
 * Seeds the same sample through the store API and with the bulk seeder, into two fresh stores,
 * and throws unless every row of both tables is the same (the bulk rows are the store's rows).
 */
async function checkBulkSeed(kind: Kind, dir: string, pgUrl: string | undefined): Promise<void> {
  const sample: SeedRun[] = [
    { collection: orders, ownerId: 'bench', region: 'target', count: 30, from: 0 },
    { collection: notes, ownerId: 'other', region: 'x', count: 20, from: 0 },
    { collection: orders, ownerId: 'bench', region: 'region-1', count: 30, from: 0 },
  ];
  const viaStore = await openStore(kind, dir, pgUrl);
  const viaBulk = await openStore(kind, dir, pgUrl);
  try {
    await seedThroughStore(viaStore.store, sample);
    await viaBulk.seed(sample);
    const [a, b] = [await viaStore.dump(), await viaBulk.dump()];
    if (!isDeepStrictEqual(a, b)) {
      throw new Error(`sets bench: bulk-seeded ${kind} rows differ from the store's own`);
    }
  } finally {
    await viaStore.close();
    await viaBulk.close();
  }
}

/** A fresh device syncs the set `region: target`; resolves with its time and peak RSS. */
async function syncSet(
  store: ServerStore,
  expected: number,
): Promise<{ ms: number; rss: number; rssBefore: number }> {
  const server = createSyncServer({ collections, store, authorize: () => ({ userId: 'bench' }) });
  const client = await createSyncClient({
    collections,
    storage: memoryAdapter(),
    transport: directTransport(server),
    triggers: [],
  });
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().rss;
  let rss = before;
  const sampler = setInterval(() => {
    rss = Math.max(rss, process.memoryUsage().rss);
  }, 20);
  const start = performance.now();
  const set = await client.collection(orders).syncSet({ where: { region: 'target' } });
  await client.sync();
  await set.ready;
  const ms = performance.now() - start;
  clearInterval(sampler);
  rss = Math.max(rss, process.memoryUsage().rss);
  const held = (await client.collection(orders).find({})).length;
  await client.close();
  if (held !== expected) throw new Error(`sets bench: the device holds ${held}, not ${expected}`);
  return { ms, rss: rss / 1e6, rssBefore: before / 1e6 };
}

let pulls = 0;

/** One fresh pull of every page of `userId`'s feed (limit 1,000 a page); resolves with the ms. */
async function pullEverything(server: SyncServer, userId: string, expected: number) {
  pulls += 1;
  const clientId = `pull-${pulls}`;
  let cursor: string | null = null;
  let received = 0;
  const start = performance.now();
  for (;;) {
    const response = await server.fetch(
      new Request('http://bench.test/sync/pull', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': userId },
        body: JSON.stringify({ protocol: 1, clientId, cursor, limit: 1000 }),
      }),
    );
    const body = (await response.json()) as {
      changes: unknown[];
      cursor: string;
      hasMore: boolean;
    };
    received += body.changes.length;
    cursor = body.cursor;
    if (!body.hasMore) break;
  }
  const ms = performance.now() - start;
  if (received !== expected) throw new Error(`sets bench: pulled ${received}, not ${expected}`);
  return ms;
}

const storeName = (kind: Kind) => (kind === 'sqlite' ? 'SQLite' : 'Postgres');
const count = (n: number) => n.toLocaleString('en-US');

/** Options of {@link runSetsBench}. */
export interface SetsBenchOptions {
  /** Records of the measured set; a multiple of 10. */
  readonly setSize: number;
  /** Records of the other subsets per store (spread over 100 regions); multiples of 1000. */
  readonly others: { readonly sqlite: number; readonly postgres: number };
  /** Other users' writes at each step of the second measure (the last is the largest). */
  readonly growth?: readonly number[];
  readonly dir: string;
  readonly pgUrl?: string | undefined;
  readonly log: (message: string) => void;
}

/**
 * The first measure on one store kind: a store of the set only and a crowded one, both seeded
 * first, then a warm-up sync and 3 rounds of one fresh device's sync from each in turn; one
 * figure per store (median time, highest peak RSS).
 */
async function initialSyncFigures(kind: Kind, options: SetsBenchOptions): Promise<Figure[]> {
  const { setSize, others, dir, pgUrl, log } = options;
  const cases = [false, true].map((crowded) => ({
    crowded,
    total: crowded ? others[kind] + setSize : setSize,
    samples: [] as number[],
    rss: 0,
    rssBefore: 0,
  }));
  const handles: StoreHandle[] = [];
  try {
    for (const { crowded, total } of cases) {
      const handle = await openStore(kind, dir, pgUrl);
      handles.push(handle);
      const seedStart = performance.now();
      // The other subsets interleaved with the set's records (10 rounds), so the set's rows
      // are spread over the whole feed. Same owner: the feed pull's worst case.
      const runs: SeedRun[] = [];
      for (let round = 0; round < 10; round += 1) {
        if (crowded) {
          const per = others[kind] / 1000;
          for (let r = 0; r < 100; r += 1) {
            const region = `region-${r}`;
            runs.push({
              collection: orders,
              ownerId: 'bench',
              region,
              count: per,
              from: round * per,
            });
          }
        }
        const per = setSize / 10;
        runs.push({
          collection: orders,
          ownerId: 'bench',
          region: 'target',
          count: per,
          from: round * per,
        });
      }
      await handle.seed(runs);
      log(
        `sets, ${kind}: seeded ${count(total)} records in ${((performance.now() - seedStart) / 1000).toFixed(0)} s`,
      );
    }
    await syncSet(handles[0]!.store, setSize); // warm-up
    for (let round = 0; round < 3; round += 1) {
      for (const [n, c] of cases.entries()) {
        const { ms, rss, rssBefore } = await syncSet(handles[n]!.store, setSize);
        c.samples.push(ms);
        if (rss > c.rss) [c.rss, c.rssBefore] = [rss, rssBefore];
      }
    }
  } finally {
    for (const handle of handles) await handle.close();
  }
  const figures = cases.map((c): Figure => ({
    workload: 'Sets',
    name: `tidesync, ${storeName(kind)} store: initial sync of one set (memory client) from a store of ${count(c.total)} records${c.crowded ? ' (100 other subsets)' : ' (only the set)'}`,
    n: setSize,
    ms: median(c.samples),
    samples: c.samples,
    peakRssMb: c.rss,
    note: `peak RSS: of the bench process during the sync, ${c.rssBefore.toFixed(0)} MB before it; stores synced in turn`,
  }));
  log(
    `sets, ${kind}: initial sync ${(figures[1]!.ms / figures[0]!.ms).toFixed(2)}x (crowded / only the set)`,
  );
  return figures;
}

/**
 * The second measure on one store kind: one store per growth step, all seeded first, then the
 * same pull on each in turn, 7 rounds (interleaved, so load on the machine hits every step
 * alike); one figure per step, the median of its rounds.
 */
async function growthFigures(kind: Kind, options: SetsBenchOptions): Promise<Figure[]> {
  const { dir, pgUrl, log } = options;
  const steps = options.growth ?? (QUICK ? [10_000, 20_000] : [10_000, 100_000, 1_000_000]);
  const mine = 1000;
  const users = 1000;
  const rounds = 10;
  const handles: StoreHandle[] = [];
  try {
    const servers: SyncServer[] = [];
    for (const total of steps) {
      const handle = await openStore(kind, dir, pgUrl);
      handles.push(handle);
      // Other users' writes (1,000 users, the `notes` feed collection) in 10 rounds, the
      // user's own records in between.
      const runs: SeedRun[] = [];
      const per = total / users / rounds;
      for (let round = 0; round < rounds; round += 1) {
        for (let u = 0; u < users; u += 1) {
          runs.push({
            collection: notes,
            ownerId: `user-${u}`,
            region: 'x',
            count: per,
            from: round * per,
          });
        }
        const own = mine / rounds;
        runs.push({ collection: notes, ownerId: 'me', region: 'x', count: own, from: round * own });
      }
      const seedStart = performance.now();
      await handle.seed(runs);
      log(
        `sets, ${kind}: a store with ${count(total)} writes of other users seeded in ${((performance.now() - seedStart) / 1000).toFixed(0)} s`,
      );
      const server = createSyncServer({
        collections,
        store: handle.store,
        authorize: (request) => ({ userId: request.headers.get('x-user') ?? 'me' }),
      });
      await pullEverything(server, 'me', mine); // warm-up
      servers.push(server);
    }
    const samples = steps.map((): number[] => []);
    for (let round = 0; round < 7; round += 1) {
      for (const [step, server] of servers.entries()) {
        samples[step]!.push(await pullEverything(server, 'me', mine));
      }
    }
    return steps.map((total, step) => ({
      workload: 'Sets',
      name: `tidesync, ${storeName(kind)} store: one user's fresh pull of their ${mine} records with ${count(total)} writes of ${users} other users in the store`,
      n: mine,
      ms: median(samples[step]!),
      samples: samples[step]!,
      note: 'server only (fetch handler in process), limit 1,000 a page; stores pulled in turn',
    }));
  } finally {
    for (const handle of handles) await handle.close();
  }
}

/** Runs both measures on SQLite (and Postgres with `pgUrl`). */
export async function runSetsBench(options: SetsBenchOptions): Promise<Figure[]> {
  const { setSize, others, dir, pgUrl, log } = options;
  if (setSize % 10 !== 0 || others.sqlite % 1000 !== 0 || others.postgres % 1000 !== 0) {
    throw new Error('sets bench: the set size must be a multiple of 10, the others of 1000');
  }
  const figures: Figure[] = [];
  const kinds: Kind[] = pgUrl ? ['sqlite', 'postgres'] : ['sqlite'];
  for (const kind of kinds) {
    await checkBulkSeed(kind, dir, pgUrl);
    log(`sets, ${kind}: bulk seeding writes the same rows as the store (checked on a sample)`);
    figures.push(...(await initialSyncFigures(kind, options)));
    const growth = await growthFigures(kind, options);
    figures.push(...growth);
    const [first, last] = [growth[0]!, growth[growth.length - 1]!];
    log(`sets, ${kind}: pull cost ${(last.ms / first.ms).toFixed(2)}x (largest store / smallest)`);
  }
  return figures;
}
