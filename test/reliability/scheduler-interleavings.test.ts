// S35: one client's writes, pushes, pull-applies and retention passes in the orders a promise
// scheduler samples (RUNS schedules per store, not every possible order). fast-check's
// `fc.scheduler()` decides when each transport request
// answers and when each storage transaction starts; another device writes meanwhile so pulls
// bring data in, and retention (`maxRecords: 2`) evicts synced records while all of it runs.
// Invariants after heal: no locally acknowledged write lost, nothing pending or dead, the
// server holds the last acknowledged value of every record, and every local record equals
// the server's. The scheduled client's storage is, in turn, the memory adapter, an SQLite file
// (better-sqlite3: a synchronous driver, but the scheduler still decides when each transaction
// starts) and IndexedDB (fake-indexeddb).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineCollection,
  TidesyncError,
  type StorageAdapter,
  type SyncClient,
  type Transport,
} from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { CRASH_STORES } from './crash-stores.js';
import { clientOn, serverView, userTransport } from './fault-helpers.js';
import { makeServer } from '../client/sync-helpers.js';
import { propertyRuns } from '../property/property-runs.js';

const items = defineCollection({
  name: 'items',
  schema: z.object({ key: z.string(), v: z.number() }),
  retention: { maxRecords: 2 },
});
const collections = [items];
// The observer that reads the server's state must not evict anything itself.
const unbounded = [defineCollection({ name: 'items', schema: items.schema })];
// Schedules per store: TIDESYNC_SCHEDULER_RUNS when set (the soak), else
// min(100, TIDESYNC_PROPERTY_RUNS).
// A failure prints fast-check's seed and path; replay with TIDESYNC_PROPERTY_SEED and
// TIDESYNC_PROPERTY_PATH.
const PARAMS = propertyRuns(
  Math.min(100, Number(process.env['TIDESYNC_PROPERTY_RUNS'] ?? 100)),
  'TIDESYNC_SCHEDULER_RUNS',
);
const RUNS = PARAMS.numRuns;
/** The soak runs 1,000 schedules per store; the time limit grows with them (150 ms each, 60 s at least). */
const TIMEOUT_MS = Math.max(60_000, RUNS * 150);

type Command =
  | { t: 'chain'; steps: ('update' | 'delete')[] }
  | { t: 'sync' }
  | { t: 'retention' }
  | { t: 'remote' };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    t: fc.constant('chain' as const),
    steps: fc.array(fc.constantFrom('update' as const, 'delete' as const), { maxLength: 3 }),
  }),
  fc.constant({ t: 'sync' as const }),
  fc.constant({ t: 'retention' as const }),
  fc.constant({ t: 'remote' as const }),
);

function scheduledStorage(s: fc.Scheduler, inner: StorageAdapter): StorageAdapter {
  return {
    kind: inner.kind,
    open: () => inner.open(),
    close: () => inner.close(),
    // The scheduler picks when each transaction starts; inside it nothing foreign is awaited.
    transaction: async (mode, fn) => {
      await s.schedule(Promise.resolve(), `tx ${mode}`);
      return inner.transaction(mode, fn);
    },
  };
}

/** Runs one record's writes in order; returns the last acknowledged value (null: deleted). */
async function runChain(
  client: SyncClient,
  key: string,
  steps: readonly ('update' | 'delete')[],
): Promise<number | null> {
  const handle = client.collection('items');
  const row = await handle.insert({ key, v: 0 });
  let last: number | null = 0;
  for (const [i, step] of steps.entries()) {
    try {
      if (step === 'delete') {
        await handle.delete(row.id);
        return null;
      }
      await handle.update(row.id, { v: i + 1 });
      last = i + 1;
    } catch (error) {
      // Retention may evict the synced record between two writes; that write never resolved,
      // so it was never acknowledged. Anything else is a failure.
      if (error instanceof TidesyncError && error.code === 'RECORD_NOT_FOUND') return last;
      throw error;
    }
  }
  return last;
}

describe.each(CRASH_STORES)(
  'S35: fc.scheduler over writes, push, pull-apply and retention',
  (kind) => {
    it(
      `holds the invariants in ${RUNS} sampled interleavings (${kind.kind})`,
      async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.scheduler(),
            fc.array(command, { minLength: 2, maxLength: 10 }),
            async (s, commands) => {
              const store = kind.create();
              try {
                await runSchedule(s, store.adapter(), commands);
              } finally {
                await store.dispose();
              }
            },
          ),
          PARAMS,
        );
      },
      TIMEOUT_MS,
    );
  },
);

/** One schedule: `commands` run concurrently on a client over `storage`, then heal and check. */
async function runSchedule(
  s: fc.Scheduler,
  storage: StorageAdapter,
  commands: readonly Command[],
): Promise<void> {
  const server = makeServer(collections);
  const inner = userTransport(server, () => 'alice');
  const transport: Transport = {
    send: (kind, body, options) => s.schedule(inner.send(kind, body, options), `${kind} answer`),
  };
  const scheduledClient = await s.waitFor(
    clientOn(collections, scheduledStorage(s, storage), transport),
  );
  const other = await clientOn(collections, memoryAdapter(), inner);
  const expected = new Map<string, number | null>();
  let remotes = 0;
  const tasks = commands.map(async (c, i) => {
    if (c.t === 'chain') {
      const key = `local-${i}`;
      expected.set(key, await runChain(scheduledClient, key, c.steps));
    } else if (c.t === 'sync') {
      await scheduledClient.sync();
    } else if (c.t === 'retention') {
      await scheduledClient.applyRetention();
    } else {
      const key = `remote-${(remotes += 1)}`;
      await other.collection('items').insert({ key, v: 7 });
      await other.sync();
      expected.set(key, 7);
    }
  });
  await s.waitFor(Promise.all(tasks));

  // Heal: no more scheduling, sync until quiet.
  await s.waitFor(scheduledClient.sync());
  await s.waitFor(scheduledClient.sync());
  expect(await s.waitFor(scheduledClient.pendingOps())).toEqual([]);
  expect(await s.waitFor(scheduledClient.deadLetters())).toEqual([]);

  const onServer = new Map(
    (await serverView(unbounded, server, 'alice', 'items')).map((r) => [String(r['key']), r]),
  );
  const want = [...expected].filter(([, v]) => v !== null).sort();
  expect([...onServer].map(([k, r]) => [k, r['v']]).sort()).toEqual(want);
  const local = await s.waitFor(scheduledClient.collection('items').find());
  for (const row of local) {
    expect(row).toMatchObject({
      syncStatus: 'synced',
      v: onServer.get(String(row['key']))?.['v'],
      serverId: onServer.get(String(row['key']))?.['serverId'],
    });
  }
  await other.close();
  await s.waitFor(scheduledClient.close());
}
