// S28: 30 simulated days offline, 2,000 updates and deletes on 200 synced records (the full
// scenario, 10,000 on 1,000, with TIDESYNC_LONG_OFFLINE_OPS and TIDESYNC_LONG_OFFLINE_RECORDS),
// then a lossy link (dropped requests and responses, duplicates, 503s). The link goes down with
// a push in flight (its response lost). Coalescing must keep the final state and every field's
// clock, and must never touch an op already in flight: writes to its records during the offline
// period and while a push is on the wire queue new ops, and every re-send of an opId carries the
// exact payload of its first send. Memory bound: after the offline period the outbox holds at
// most one queued op per record plus the ops that were in flight. The checks made inside the
// transport (while the first lossy push is on the wire) go through `hookChecks`, so a failure
// there fails the test instead of becoming a retried sync.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, type Transport } from 'tidesync';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { seededRandom, simulatedNetwork } from 'tidesync/testing';
import { clientOn, hookChecks, userTransport } from './fault-helpers.js';
import { makeServer } from '../client/sync-helpers.js';

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ key: z.number(), a: z.number(), b: z.string() }),
});
const collections = [notes];
/** A positive integer from the environment, else `fallback`. */
function sizeFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 10) {
    throw new Error(`${name} must be an integer of at least 10, got ${JSON.stringify(raw)}.`);
  }
  return value;
}
const RECORDS = sizeFromEnv('TIDESYNC_LONG_OFFLINE_RECORDS', 200);
const OFFLINE_WRITES = sizeFromEnv('TIDESYNC_LONG_OFFLINE_OPS', 2_000);
/** Records whose update is in flight (its response lost) when the link goes down. */
const IN_FLIGHT = Math.min(20, Math.floor(RECORDS / 4));
/** Sync attempts over the lossy link before giving up (each may push several batches). */
const MAX_ROUNDS = Math.max(400, 2 * RECORDS);
const DAY = 86_400_000;
const SEED = Number(process.env['TIDESYNC_CRASH_SEED'] ?? 28);

type Expected = { a: number; b: string } | null;

describe('S28: a long offline period over a lossy link', () => {
  it(`keeps final state and field clocks, never touches in-flight ops (${OFFLINE_WRITES} writes on ${RECORDS} records, seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    let wallClock = Date.UTC(2026, 0, 1);
    const now = () => wallClock;
    const server = makeServer(collections);
    const inner = userTransport(server, () => 'alice');

    // Every payload sent per opId; re-sends must be identical (in-flight ops are never edited).
    const sentPayloads = new Map<string, string>();
    const resent = { count: 0, changed: [] as string[] };
    let onFirstLossyPush: (() => Promise<void>) | undefined;
    // The hook's checks run inside the transport, where a failure would become a retry.
    const checks = hookChecks();
    const recording: Transport = {
      async send(kind, body, options) {
        if (kind === 'push') {
          for (const op of (body as { ops: { opId: string }[] }).ops) {
            const payload = JSON.stringify(op);
            const first = sentPayloads.get(op.opId);
            if (first === undefined) sentPayloads.set(op.opId, payload);
            else {
              resent.count += 1;
              if (first !== payload) resent.changed.push(op.opId);
            }
          }
          const hook = onFirstLossyPush;
          onFirstLossyPush = undefined;
          if (hook) await checks.run(hook);
        }
        return inner.send(kind, body, options);
      },
    };
    const network = simulatedNetwork(recording, { seed: SEED });
    const store = createMemoryStore();
    const client = await clientOn(collections, memoryAdapter({ store }), network, {
      batchSize: 25,
      now,
    });
    const handle = client.collection('notes');
    const expected = new Map<number, Expected>();
    const ids: string[] = [];
    const read = (s: typeof store) =>
      memoryAdapter({ store: s }).transaction('readonly', (tx) => tx.listRecords('notes'));
    for (let key = 0; key < RECORDS; key += 1) {
      ids.push((await handle.insert({ key, a: 0, b: '' })).id);
      expected.set(key, { a: 0, b: '' });
    }
    await client.sync();
    expect(await client.pendingOps()).toEqual([]);

    // The link goes down with a push in flight: the server applies it, its answer is lost.
    for (let key = 0; key < IN_FLIGHT; key += 1) {
      await handle.update(ids[key] ?? '', { b: 'in flight' });
      expected.set(key, { a: 0, b: 'in flight' });
    }
    network.setFaults({ dropResponseRate: 1 });
    await expect(client.sync()).rejects.toThrow();
    const inFlight = await client.pendingOps();
    expect(inFlight).toHaveLength(IN_FLIGHT);
    expect(inFlight.every((o) => o.state === 'inflight' && o.pushSeq !== null)).toBe(true);

    // 30 days offline: updates of one or both fields, a few deletes.
    network.offline();
    for (let i = 0; i < OFFLINE_WRITES; i += 1) {
      wallClock += Math.floor((30 * DAY) / OFFLINE_WRITES);
      const key = random.int(0, RECORDS - 1);
      const current = expected.get(key);
      const id = ids[key] ?? '';
      if (current === null || current === undefined) continue;
      if (random.next() < 0.005) {
        await handle.delete(id);
        expected.set(key, null);
        continue;
      }
      const patch =
        random.next() < 0.5
          ? { a: i }
          : random.next() < 0.5
            ? { b: `w${i}` }
            : { a: i, b: `w${i}` };
      await handle.update(id, patch);
      expected.set(key, { ...current, ...patch });
    }
    // Memory bound: the in-flight ops exactly as they were, plus at most one queued (unsent)
    // op per record, whatever the number of writes.
    const outbox = await client.pendingOps();
    const queued = outbox.filter((o) => o.state === 'queued');
    expect(outbox.filter((o) => o.state === 'inflight')).toEqual(inFlight);
    expect(outbox.length).toBe(queued.length + inFlight.length);
    expect(outbox.length).toBeLessThanOrEqual(RECORDS + IN_FLIGHT);
    expect(new Set(queued.map((o) => o.id)).size).toBe(queued.length);
    expect(queued.every((o) => o.pushSeq === null)).toBe(true);
    // The in-flight records were written to again offline: those writes are new queued ops.
    const inFlightIds = new Set(inFlight.map((o) => o.id));
    expect(queued.filter((o) => inFlightIds.has(o.id)).length).toBeGreaterThan(0);

    // While the first push is on the wire, edit the records it carries: reads are not blocked,
    // and the edits must become new ops, not edits of the in-flight ones.
    let editedInFlight = 0;
    const writtenClocks = new Map<number, Record<string, string>>();
    onFirstLossyPush = async () => {
      const inflight = (await client.pendingOps()).filter((o) => o.state === 'inflight');
      expect(inflight.length).toBeGreaterThan(0);
      expect(await handle.find({ limit: 5 })).toHaveLength(5);
      for (const op of inflight) {
        const key = ids.indexOf(op.id);
        const current = expected.get(key);
        if (!current) continue;
        wallClock += 1000;
        await handle.update(op.id, { a: -key - 1 });
        expected.set(key, { ...current, a: -key - 1 });
        editedInFlight += 1;
      }
      // Every local write is done: these are the field clocks the server must end up with.
      for (const r of await read(store)) writtenClocks.set(r.data['key'] as number, r.fieldClocks);
      const after = await client.pendingOps();
      for (const op of inflight) expect(after.find((o) => o.opId === op.opId)).toEqual(op);
    };

    network.online();
    network.setFaults({
      dropRequestRate: 0.2,
      dropResponseRate: 0.2,
      duplicateRate: 0.1,
      serverErrorRate: 0.1,
    });
    let rounds = 0;
    while (rounds < MAX_ROUNDS) {
      rounds += 1;
      const ok = await client.sync().then(
        () => true,
        () => false,
      );
      if (ok && (await client.pendingOps()).length === 0) break;
    }
    network.heal();
    checks.rethrow();
    await client.sync();
    expect(editedInFlight).toBeGreaterThan(0);
    expect(network.stats.droppedResponses).toBeGreaterThan(0);
    expect(resent.count).toBeGreaterThan(0);
    expect(resent.changed).toEqual([]);
    expect(await client.pendingOps()).toEqual([]);
    expect(await client.deadLetters()).toEqual([]);

    // The server holds the final state, with the field clocks of the last local writes.
    const observerStore = createMemoryStore();
    const observer = await clientOn(collections, memoryAdapter({ store: observerStore }), inner);
    await observer.sync();
    await observer.close();
    const local = new Map((await read(store)).map((r) => [r.data['key'] as number, r]));
    const remote = new Map((await read(observerStore)).map((r) => [r.data['key'] as number, r]));
    const fields = (data: Record<string, unknown> | undefined) =>
      data ? { a: data['a'], b: data['b'] } : null;
    const got = [...expected.keys()].map((key) => {
      const server = remote.get(key);
      // Deleted: gone locally, or kept as an acknowledged tombstone (never visible to queries).
      const mine = local.get(key)?.deleted ? undefined : local.get(key);
      return {
        key,
        server: fields(server?.data),
        local: fields(mine?.data),
        status: mine?.syncStatus ?? 'gone',
        sameClocks:
          server?.fieldClocks['a'] === (server && writtenClocks.get(key)?.['a']) &&
          server?.fieldClocks['b'] === (server && writtenClocks.get(key)?.['b']) &&
          mine?.fieldClocks['a'] === server?.fieldClocks['a'],
      };
    });
    expect(got).toEqual(
      [...expected].map(([key, want]) => ({
        key,
        server: want,
        local: want,
        status: want ? 'synced' : 'gone',
        sameClocks: true,
      })),
    );
    expect(await handle.find()).toHaveLength([...expected.values()].filter(Boolean).length);
    await client.close();
  });
});
