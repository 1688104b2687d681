// S3 (crash while applying a pull page) and S14 (the cursor write fails; a server that keeps
// answering the same cursor). A crash is a storage call that throws inside the page's
// transaction; the "restarted" client is a new adapter over the same store. S3 runs over each
// store of crash-stores.ts (memory, an SQLite file, IndexedDB); S14 on the memory store.
// Injected fault, not a process kill: the "crash" is an exception thrown at a storage call
// inside the open transaction; the library and the adapter roll that transaction back and the
// client is closed before the restart. This tests rollback and restart, not recovery after a
// kill (no journal recovery, nothing left half-written by a dead process): see
// kill-points.test.ts (S3, S4), crash.test.ts (S2, S5) and test/adapters/sqlite-crash.test.ts
// (S1, S5) for real SIGKILLs.
import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { defineCollection, TidesyncError, type PullResponse, type Transport } from 'tidesync';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import {
  SimulatedCrash,
  clientOn,
  closeQuietly,
  crashingAdapter,
  readMeta,
  userTransport,
} from './fault-helpers.js';
import { makeServer } from '../client/sync-helpers.js';
import {
  CRASH_STORE_ROWS,
  cleanRunCalls,
  crashPoints,
  type CrashStore,
  type CrashStoreKind,
} from './crash-stores.js';

const notes = defineCollection({ name: 'notes', schema: z.object({ n: z.number() }) });
const collections = [notes];
const RECORDS = 20;
const PAGE = 5;
const CURSOR_KEY = 'pull.cursor';

async function seededServer() {
  const server = makeServer(collections);
  const writer = await clientOn(
    collections,
    memoryAdapter(),
    userTransport(server, () => 'alice'),
  );
  for (let n = 0; n < RECORDS; n += 1) await writer.collection('notes').insert({ n });
  await writer.sync();
  await writer.close();
  return server;
}

/** The `n` of every stored note, read through a fresh adapter over `store`. */
async function localNotes(store: CrashStore | ReturnType<typeof createMemoryStore>) {
  const rows =
    'read' in store
      ? await store.read((tx) => tx.listRecords('notes'))
      : await memoryAdapter({ store }).transaction('readonly', (tx) => tx.listRecords('notes'));
  return rows.map((r) => r.data['n'] as number).sort((a, b) => a - b);
}

/** Storage calls of a clean sync (an empty push, then 4 pages), so crash points cover all of it. */
async function cleanSyncCalls(kind: CrashStoreKind): Promise<number> {
  const server = await seededServer();
  return cleanRunCalls(
    kind,
    (storage) =>
      clientOn(
        collections,
        storage,
        userTransport(server, () => 'alice'),
        {
          pullPageSize: PAGE,
        },
      ),
    (client) => client.sync(),
  );
}

describe.each(CRASH_STORE_ROWS)(
  'S3: a crash while applying a pull page commits the page and its cursor together or not at all, at %s',
  async (_, kind) => {
    const total = await cleanSyncCalls(kind);
    // Every storage call of the sync (putRecord per change, the cursor and clock writes, the
    // cursor reads between pages), and one past the end (no crash).
    const points = crashPoints(total, kind.step);

    it('the sync makes enough storage calls to be worth crashing', () => {
      expect(total).toBeGreaterThan(RECORDS);
    });

    it.each(points)('crash at storage call %i of the sync', async (point) => {
      const server = await seededServer();
      const store = kind.create();
      onTestFinished(() => store.dispose());
      const transport = userTransport(server, () => 'alice');
      const crashing = crashingAdapter(store.adapter(), (c) => c.index === point, {
        armed: false,
      });
      const first = await clientOn(collections, crashing, transport, { pullPageSize: PAGE });
      crashing.arm();
      const error = await first.sync().catch((e: unknown) => e);
      await closeQuietly(first);
      // Past the last call of a clean sync nothing crashes and the sync completed.
      expect(error instanceof SimulatedCrash).toBe(crashing.crashed);
      expect(crashing.crashed).toBe(point <= total);
      expect(error instanceof Error && !(error instanceof SimulatedCrash)).toBe(false);

      // After the crash: whole pages only, and the stored cursor covers exactly what is stored.
      const afterCrash = await localNotes(store);
      expect(afterCrash.length % PAGE).toBe(0);
      expect(afterCrash).toEqual(Array.from({ length: afterCrash.length }, (_, n) => n));
      const expectedCursor =
        afterCrash.length === 0
          ? null
          : (
              (await transport.send('pull', {
                protocol: 1,
                clientId: `probe-${point}`,
                cursor: null,
                limit: afterCrash.length,
              })) as PullResponse
            ).cursor;
      expect((await store.read((tx) => tx.getMeta(CURSOR_KEY))) ?? null).toBe(expectedCursor);

      // Restart and sync: every change present exactly once.
      const restarted = await clientOn(collections, store.adapter(), transport, {
        pullPageSize: PAGE,
      });
      await restarted.sync();
      const rows = await restarted.collection('notes').find();
      expect(rows.map((r) => r['n']).sort((a, b) => Number(a) - Number(b))).toEqual(
        Array.from({ length: RECORDS }, (_, n) => n),
      );
      expect(new Set(rows.map((r) => r.serverId)).size).toBe(RECORDS);
      expect(rows.every((r) => r.syncStatus === 'synced')).toBe(true);
      await restarted.close();
    });
  },
);

describe('S14: the cursor write fails after a page applied', () => {
  it('rolls the page back with the cursor; the next sync pulls it again', async () => {
    const server = await seededServer();
    const store = createMemoryStore();
    const transport = userTransport(server, () => 'alice');
    let cursorWrites = 0;
    const failing = crashingAdapter(
      memoryAdapter({ store }),
      (c) => c.method === 'setMeta' && c.args[0] === CURSOR_KEY && ++cursorWrites === 2,
    );
    const first = await clientOn(collections, failing, transport, { pullPageSize: PAGE });
    await expect(first.sync()).rejects.toBeInstanceOf(SimulatedCrash);
    await closeQuietly(first);
    // Page 1 and its cursor committed; page 2 rolled back with its cursor write.
    expect(await localNotes(store)).toEqual([0, 1, 2, 3, 4]);

    const restarted = await clientOn(collections, memoryAdapter({ store }), transport, {
      pullPageSize: PAGE,
    });
    const result = await restarted.sync();
    expect(await localNotes(store)).toEqual(Array.from({ length: RECORDS }, (_, n) => n));
    expect(result).toBeDefined();
    await restarted.close();
  });
});

describe('S14: a server that answers the same cursor with data and hasMore forever', () => {
  it('raises SYNC_STUCK after a bounded number of requests and stores the cursor it had', async () => {
    const server = await seededServer();
    const inner = userTransport(server, () => 'alice');
    let pulls = 0;
    let stuckCursor: string | null = null;
    const transport: Transport = {
      async send(kind, body, options) {
        const answer = await inner.send(kind, body, options);
        if (kind !== 'pull') return answer;
        pulls += 1;
        const page = answer as PullResponse;
        // First page is honest; from then on the server repeats the cursor it was sent.
        const sent = (body as { cursor: string | null }).cursor;
        if (pulls === 1) return page;
        stuckCursor = sent;
        return { ...page, cursor: sent, hasMore: true };
      },
    };
    const store = createMemoryStore();
    const client = await clientOn(collections, memoryAdapter({ store }), transport, {
      pullPageSize: PAGE,
    });
    const error = await client.sync().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TidesyncError);
    expect((error as TidesyncError).code).toBe('SYNC_STUCK');
    expect(pulls).toBeLessThanOrEqual(5);
    expect(stuckCursor).not.toBeNull();
    expect(await readMeta(store, CURSOR_KEY)).toBe(stuckCursor);
    // A second sync is bounded too: no hot loop, the same typed error.
    pulls = 1;
    const again = await client.sync().catch((e: unknown) => e);
    expect((again as TidesyncError).code).toBe('SYNC_STUCK');
    expect(pulls).toBeLessThanOrEqual(5);
    await client.close();
  });
});
