// Issue 19, "a crash between a set's bookkeeping and its first page": a crash at every storage
// call from `syncSet()` through the first sync of its pages, on memory, an SQLite file and
// IndexedDB. A crash is a storage call that throws inside the open transaction (so it rolls
// back), and the "restarted" client is a new adapter over the same store (see
// test/reliability/pull-crash.test.ts for the method). After the crash the device holds only
// records its stored sets cover (a set and its pages are never half there); after the restart
// (declaring the set again if it never committed) it ends with exactly what the set covers.
import { describe, expect, it, onTestFinished } from 'vitest';
import { memoryAdapter } from 'tidesync/adapters/memory';
import type { SyncClient } from 'tidesync';
import { makeServer } from '../client/sync-helpers.js';
import {
  SimulatedCrash,
  clientOn,
  closeQuietly,
  crashingAdapter,
  userTransport,
} from '../reliability/fault-helpers.js';
import {
  CRASH_STORE_ROWS,
  cleanRunCalls,
  crashPoints,
  type CrashStoreKind,
} from '../reliability/crash-stores.js';
import { orders } from './set-helpers.js';

const collections = [orders];
const PAGE = 3;
const NORTH = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'];
const WHERE = { region: 'north' };

async function seededServer() {
  const server = makeServer(collections);
  const writer = await clientOn(
    collections,
    memoryAdapter(),
    userTransport(server, () => 'alice'),
  );
  for (const title of NORTH) {
    await writer.collection(orders).insert({ title, region: 'north', projectId: null });
  }
  for (const title of ['s0', 's1', 's2', 's3']) {
    await writer.collection(orders).insert({ title, region: 'south', projectId: null });
  }
  await writer.sync();
  await writer.close();
  return server;
}

/** Declares the north set and runs the first sync: the steps a crash may interrupt. */
async function declareAndSync(client: SyncClient): Promise<void> {
  await client.collection(orders).syncSet({ where: WHERE });
  await client.sync();
}

async function cleanCalls(kind: CrashStoreKind): Promise<number> {
  const server = await seededServer();
  const transport = userTransport(server, () => 'alice');
  return cleanRunCalls(
    kind,
    (storage) => clientOn(collections, storage, transport, { pullPageSize: PAGE }),
    declareAndSync,
  );
}

const titles = (rows: readonly { data: Record<string, unknown> }[]) =>
  rows.map((r) => String(r.data['title'])).sort();

describe.each(CRASH_STORE_ROWS)(
  'a crash between a sync set’s bookkeeping and its pages, at %s',
  async (_, kind) => {
    const total = await cleanCalls(kind);
    const points = crashPoints(total, kind.step);

    it('declaring a set and pulling it makes enough storage calls to be worth crashing', () => {
      // The set's own write, then at least one transaction per page of 3.
      expect(total).toBeGreaterThan(NORTH.length / PAGE);
    });

    it.each(points)('crash at storage call %i', async (point) => {
      const server = await seededServer();
      const store = kind.create();
      onTestFinished(() => store.dispose());
      const transport = userTransport(server, () => 'alice');
      const crashing = crashingAdapter(store.adapter(), (c) => c.index === point, {
        armed: false,
      });
      const first = await clientOn(collections, crashing, transport, { pullPageSize: PAGE });
      crashing.arm();
      const error = await declareAndSync(first).catch((e: unknown) => e);
      await closeQuietly(first);
      expect(crashing.crashed).toBe(point <= total);
      expect(error === undefined || error instanceof SimulatedCrash).toBe(true);

      // After the crash: what is stored, the stored sets cover; nothing of another region.
      const held = titles(await store.read((tx) => tx.listRecords('orders')));
      expect(held.every((title) => NORTH.includes(title))).toBe(true);

      const restarted = await clientOn(collections, store.adapter(), transport, {
        pullPageSize: PAGE,
      });
      const sets = await restarted.syncSets();
      expect(sets.length).toBeLessThanOrEqual(1);
      // A set that never committed left no pages behind it.
      expect(sets.length === 0 ? held : []).toEqual([]);
      const set = sets[0] ?? (await restarted.collection(orders).syncSet({ where: WHERE }));
      expect(set.where).toEqual(WHERE);
      await restarted.sync();
      await set.ready;
      const rows = await restarted.collection(orders).find();
      expect(rows.map((r) => r.title).sort()).toEqual(NORTH);
      expect(rows.every((r) => r.syncStatus === 'synced')).toBe(true);
      await restarted.close();
    });
  },
);
