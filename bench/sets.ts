// Issue 19's "Measure": the initial sync of one 10,000-record sync set from a server store that
// holds N records of 100 other subsets as well, against the same sync from a store holding only
// those 10,000. A set pull reads its own index range, so the two should be close. SQLite and
// Postgres stores; time and the peak RSS of this process during the sync (sampled every 20 ms).
// `BENCH_ONLY=sets npm run bench` (`BENCH_SETS_N` overrides N; `BENCH_QUICK=1`: small sizes).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { z } from 'zod';
import { createSyncClient, defineCollection, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import type { ServerRecord, ServerStore } from 'tidesync/server';
import { createSyncServer, postgresServerStore, sqliteServerStore } from 'tidesync/server';
import { writeSetKeys } from '../src/server/sets/set-index-write.js';
import type { Figure } from './report.js';

const orders = defineCollection({
  name: 'orders',
  schema: z.object({ title: z.string(), region: z.string() }),
  sync: 'sets',
  indexes: ['region'],
});

const HLC = '000000000001000:000000:bench';
const BATCH = 5000;

/** Writes `count` orders of `region` straight into the store (with their set-index rows). */
async function seed(store: ServerStore, region: string, count: number, from = 0): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    await store.transaction(async (tx) => {
      for (let i = start; i < Math.min(count, start + BATCH); i += 1) {
        const record: ServerRecord = {
          collection: 'orders',
          id: `${region}-${from + i}`,
          ownerId: 'bench',
          version: 1,
          data: { title: `order ${from + i} of ${region}`, region },
          hlc: HLC,
          fieldClocks: { title: HLC, region: HLC },
          deleted: false,
          updatedAt: 1,
          originClientId: null,
          originId: null,
        };
        await tx.getRecord('orders', record.id);
        await tx.putRecord(record);
        await writeSetKeys(tx, orders, undefined, record);
      }
    });
  }
}

/** A fresh device syncs the set `region: target`; resolves with its time and peak RSS. */
async function syncSet(
  store: ServerStore,
  expected: number,
): Promise<{ ms: number; rss: number; rssBefore: number }> {
  const server = createSyncServer({
    collections: [orders],
    store,
    authorize: () => ({ userId: 'bench' }),
  });
  const client = await createSyncClient({
    collections: [orders],
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

interface StoreHandle {
  readonly store: ServerStore;
  close(): Promise<void>;
}

let counter = 0;

async function openStore(kind: 'sqlite' | 'postgres', dir: string, pgUrl?: string) {
  counter += 1;
  if (kind === 'sqlite') {
    const db = new Database(join(dir, `sets${counter}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const store = sqliteServerStore(db);
    await store.open();
    return { store, close: async () => store.close() } satisfies StoreHandle;
  }
  const schema = `bench_sets_${process.pid}_${counter}`;
  const pool = new pg.Pool({ connectionString: pgUrl, max: 4 });
  const store = postgresServerStore(pool, { schema });
  await store.open();
  return {
    store,
    async close() {
      await store.close();
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  } satisfies StoreHandle;
}

/** Options of {@link runSetsBench}. */
export interface SetsBenchOptions {
  /** Records of the measured set; a multiple of 10. */
  readonly setSize: number;
  /** Records of the other subsets per store (spread over 100 regions); multiples of 1000. */
  readonly others: { readonly sqlite: number; readonly postgres: number };
  readonly dir: string;
  readonly pgUrl?: string | undefined;
  readonly log: (message: string) => void;
}

/** Runs the sets workload on SQLite (and Postgres with `pgUrl`); one figure per store and case. */
export async function runSetsBench(options: SetsBenchOptions): Promise<Figure[]> {
  const { setSize, others, dir, pgUrl, log } = options;
  if (setSize % 10 !== 0 || others.sqlite % 1000 !== 0 || others.postgres % 1000 !== 0) {
    throw new Error('sets bench: the set size must be a multiple of 10, the others of 1000');
  }
  const figures: Figure[] = [];
  const kinds: ('sqlite' | 'postgres')[] = pgUrl ? ['sqlite', 'postgres'] : ['sqlite'];
  for (const kind of kinds) {
    for (const crowded of [false, true]) {
      const handle = await openStore(kind, dir, pgUrl);
      try {
        const seedStart = performance.now();
        // The other subsets interleaved with the set's records (10 rounds), so the set's rows
        // are spread over the whole feed.
        const total = crowded ? others[kind] + setSize : setSize;
        for (let round = 0; round < 10; round += 1) {
          if (crowded) {
            const per = others[kind] / 1000;
            for (let r = 0; r < 100; r += 1) {
              await seed(handle.store, `region-${r}`, per, round * per);
            }
          }
          await seed(handle.store, 'target', setSize / 10, (round * setSize) / 10);
        }
        log(
          `sets, ${kind}: seeded ${total.toLocaleString('en-US')} records in ${((performance.now() - seedStart) / 1000).toFixed(0)} s; syncing the set`,
        );
        const { ms, rss, rssBefore } = await syncSet(handle.store, setSize);
        figures.push({
          workload: 'Sets',
          name: `tidesync, ${kind === 'sqlite' ? 'SQLite' : 'Postgres'} store: initial sync of one set (memory client) from a store of ${total.toLocaleString('en-US')} records${crowded ? ' (100 other subsets)' : ' (only the set)'}`,
          n: setSize,
          ms,
          samples: [ms],
          peakRssMb: rss,
          note: `peak RSS: of the bench process during the sync, ${rssBefore.toFixed(0)} MB before it`,
        });
      } finally {
        await handle.close();
      }
    }
  }
  return figures;
}
