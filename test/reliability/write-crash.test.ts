// S1: a crash at every storage call of a sequence of local writes (insert, update, a
// cross-collection transaction, delete, insertMany), over each store of crash-stores.ts (memory,
// an SQLite file, IndexedDB). After a restart on the same store: every
// write that resolved is present, the write that crashed is wholly present or wholly absent
// (record and outbox op together), and outbox `seq`s have no hole and no repeat.
// Injected fault, not a process kill: the "crash" is an exception thrown at a storage call
// inside the open transaction; the library and the adapter roll that transaction back and the
// client is closed before the restart. This tests rollback and restart, not recovery after a
// kill (no journal recovery, nothing left half-written by a dead process): see
// kill-points.test.ts (S3, S4), crash.test.ts (S2, S5) and test/adapters/sqlite-crash.test.ts
// (S1, S5) for real SIGKILLs.
import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { createSyncClient, defineCollection, type StorageAdapter, type SyncClient } from 'tidesync';
import { CRASH_STORE_ROWS, crashPoints, type CrashStoreKind } from './crash-stores.js';
import { closeQuietly, crashingAdapter } from './fault-helpers.js';

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ title: z.string(), n: z.number() }),
});
const tags = defineCollection({ name: 'tags', schema: z.object({ label: z.string() }) });
const collections = [notes, tags];

type View = Record<string, number | string>;
/** What the app sees after each prefix of the writes, and how many outbox ops it needs. */
const MODEL: { view: View; ops: number }[] = [
  { view: {}, ops: 0 },
  { view: { a: 0 }, ops: 1 },
  { view: { a: 1 }, ops: 2 },
  { view: { a: 2, b: 0, 'tag:t': 't' }, ops: 5 },
  { view: { b: 0, 'tag:t': 't' }, ops: 6 },
  { view: { b: 0, c: 0, d: 0, 'tag:t': 't' }, ops: 8 },
];

const open = (storage: StorageAdapter) =>
  createSyncClient({ collections, storage, coalesce: false, triggers: [] });

/** Runs the writes in order and returns how many resolved before the first failure. */
async function runWrites(client: SyncClient): Promise<number> {
  const n = client.collection('notes');
  const steps: (() => Promise<unknown>)[] = [];
  let a = '';
  steps.push(async () => {
    a = (await n.insert({ title: 'a', n: 0 })).id;
  });
  steps.push(() => n.update(a, { n: 1 }));
  steps.push(() =>
    client.transaction(async (tx) => {
      await tx.collection('notes').insert({ title: 'b', n: 0 });
      await tx.collection('tags').insert({ label: 't' });
      await tx.collection('notes').update(a, { n: 2 });
    }),
  );
  steps.push(() => n.delete(a));
  steps.push(() =>
    n.insertMany([
      { title: 'c', n: 0 },
      { title: 'd', n: 0 },
    ]),
  );
  for (const [i, step] of steps.entries()) {
    try {
      await step();
    } catch {
      return i;
    }
  }
  return steps.length;
}

async function view(client: SyncClient): Promise<View> {
  const out: View = {};
  for (const r of await client.collection('notes').find()) out[String(r['title'])] = Number(r['n']);
  for (const r of await client.collection('tags').find())
    out[`tag:${String(r['label'])}`] = String(r['label']);
  return out;
}

async function cleanCalls(kind: CrashStoreKind): Promise<number> {
  const store = kind.create();
  const counting = crashingAdapter(store.adapter(), () => false, { armed: false });
  const client = await open(counting);
  counting.arm();
  expect(await runWrites(client)).toBe(MODEL.length - 1);
  await client.close();
  await store.dispose();
  return counting.calls;
}

describe.each(CRASH_STORE_ROWS)('S1: a crash at %s inside local writes', async (_, kind) => {
  const total = await cleanCalls(kind);
  const points = crashPoints(total, kind.step);

  it('the writes make enough storage calls to be worth crashing', () => {
    expect(total).toBeGreaterThan(20);
  });

  it.each(points)('crash at storage call %i', async (point) => {
    const store = kind.create();
    onTestFinished(() => store.dispose());
    const crashing = crashingAdapter(store.adapter(), (c) => c.index === point, {
      armed: false,
    });
    const first = await open(crashing);
    crashing.arm();
    const resolved = await runWrites(first);
    await closeQuietly(first);
    expect(crashing.crashed).toBe(point <= total);

    const restarted = await open(store.adapter());
    const seen = await view(restarted);
    const ops = await store.rawOps();
    // Every resolved write is there; the crashed one is all there or not at all.
    const candidates = MODEL.slice(resolved, resolved + 2);
    expect(candidates).toContainEqual({ view: seen, ops: ops.length });
    // Outbox seqs: 1..n, no hole, no repeat; a record is pending exactly when it has ops.
    expect(ops.map((o) => o.seq)).toEqual(ops.map((_, i) => i + 1));
    const pendingIds = new Set(ops.map((o) => `${o.collection}/${o.id}`));
    for (const c of ['notes', 'tags']) {
      for (const r of await restarted.collection(c).find())
        expect(pendingIds.has(`${c}/${r.id}`)).toBe(r.syncStatus === 'pending');
    }
    // The restarted client continues the sequence.
    await restarted.collection('notes').insert({ title: 'after', n: 9 });
    expect((await store.rawOps()).map((o) => o.seq)).toEqual(
      Array.from({ length: ops.length + 1 }, (_, i) => i + 1),
    );
    await restarted.close();
  });
});
