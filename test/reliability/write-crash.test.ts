// S1: a crash at every storage call of a sequence of local writes (insert, update, a
// cross-collection transaction, delete, insertMany). After a restart on the same store: every
// write that resolved is present, the write that crashed is wholly present or wholly absent
// (record and outbox op together), and outbox `seq`s have no hole and no repeat.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSyncClient, defineCollection, type StorageAdapter, type SyncClient } from 'tidesync';
import { createMemoryStore, memoryAdapter, type MemoryStore } from 'tidesync/adapters/memory';
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

async function rawOps(store: MemoryStore) {
  return memoryAdapter({ store }).transaction('readonly', (tx) => tx.listOps());
}

async function cleanCalls(): Promise<number> {
  const counting = crashingAdapter(memoryAdapter(), () => false, { armed: false });
  const client = await open(counting);
  counting.arm();
  expect(await runWrites(client)).toBe(MODEL.length - 1);
  await client.close();
  return counting.calls;
}

describe('S1: a crash at every storage call inside local writes', async () => {
  const total = await cleanCalls();
  const points = Array.from({ length: total + 1 }, (_, i) => i + 1);

  it('the writes make enough storage calls to be worth crashing', () => {
    expect(total).toBeGreaterThan(20);
  });

  it.each(points)('crash at storage call %i', async (point) => {
    const store = createMemoryStore();
    const crashing = crashingAdapter(memoryAdapter({ store }), (c) => c.index === point, {
      armed: false,
    });
    const first = await open(crashing);
    crashing.arm();
    const resolved = await runWrites(first);
    await closeQuietly(first);
    expect(crashing.crashed).toBe(point <= total);

    const restarted = await open(memoryAdapter({ store }));
    const seen = await view(restarted);
    const ops = await rawOps(store);
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
    expect((await rawOps(store)).map((o) => o.seq)).toEqual(
      Array.from({ length: ops.length + 1 }, (_, i) => i + 1),
    );
    await restarted.close();
  });
});
