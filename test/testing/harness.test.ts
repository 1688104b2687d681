import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, lastWriteWins, manual } from 'tidesync';
import { memoryServerStore, type ServerStore } from 'tidesync/server';
import { ConvergenceError, SettleError, createTestHarness } from 'tidesync/testing';

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ text: z.string(), n: z.number() }),
  conflict: lastWriteWins(),
});

/**
 * S36: a server store that silently drops the update of one field in every `everyN` updates.
 * The push still answers with the merged record, so the writer believes it; pullers do not.
 */
function lossyStore(inner: ServerStore, everyN: number): ServerStore {
  let updates = 0;
  return {
    kind: `lossy-${inner.kind}`,
    open: () => inner.open(),
    close: () => inner.close(),
    read: (fn) => inner.read(fn),
    transaction: (fn) =>
      inner.transaction((tx) =>
        fn(
          new Proxy(tx, {
            get(target, key) {
              if (key === 'putRecord') {
                return async (record: Parameters<typeof tx.putRecord>[0]) => {
                  const before = await target.getRecord(record.collection, record.id);
                  if (before && !record.deleted && ++updates % everyN === 0) {
                    const n = before.data['n'];
                    return target.putRecord({ ...record, data: { ...record.data, n } });
                  }
                  return target.putRecord(record);
                };
              }
              const value: unknown = Reflect.get(target, key, target);
              return typeof value === 'function' ? value.bind(target) : value;
            },
          }),
        ),
      ),
  };
}

async function runUpdates(store?: ServerStore) {
  const h = await createTestHarness({
    collections: [notes],
    clients: 3,
    network: { seed: 7 },
    ...(store ? { server: { store } } : {}),
  });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++)
    ids.push((await h.clients[0]!.collection('notes').insert({ text: `n${i}`, n: 0 })).id);
  await h.settle();
  for (let round = 1; round <= 6; round++) {
    for (const id of ids) await h.clients[0]!.collection('notes').update(id, { n: round });
    await h.sync(0);
  }
  await h.settle();
  return h;
}

describe('createTestHarness', () => {
  it('settles three clients and sees every replica equal to the server', async () => {
    const h = await createTestHarness({ collections: [notes], clients: 3 });
    for (const [i, c] of h.clients.entries())
      await c.collection('notes').insert({ text: `from ${i}`, n: i });
    const rounds = await h.settle();
    expect(rounds).toBeGreaterThanOrEqual(2);
    const digests = await h.assertConverged();
    expect(digests.size).toBe(1);
    for (const c of h.clients) expect(await c.collection('notes').find()).toHaveLength(3);
    await h.close();
  });

  it('keeps an offline client out of settle and reports it as diverged with a readable diff', async () => {
    const h = await createTestHarness({ collections: [notes], clients: 2 });
    h.offline(1);
    await h.clients[0]!.collection('notes').insert({ text: 'only on 0', n: 1 });
    await h.clients[1]!.collection('notes').insert({ text: 'only on 1', n: 2 });
    await h.settle();
    const error = await h.assertConverged().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConvergenceError);
    const message = (error as ConvergenceError).message;
    expect(message).toMatch(/client 1 notes\/.*: missing \(server has .*"only on 0"/);
    expect(message).toMatch(/client 1 notes\/.*never confirmed by the server/);
    expect(message).toContain(`seed ${h.seed}`);
    h.online(1);
    await h.settle();
    await expect(h.assertConverged()).resolves.toBeInstanceOf(Map);
    await h.close();
  });

  it('separates users: each client is compared with its own user’s data only', async () => {
    const h = await createTestHarness({
      collections: [notes],
      clients: [{ user: 'ann' }, { user: 'ann' }, { user: 'bob' }],
    });
    await h.clients[0]!.collection('notes').insert({ text: 'ann', n: 1 });
    await h.clients[2]!.collection('notes').insert({ text: 'bob', n: 2 });
    await h.settle();
    const digests = await h.assertConverged();
    expect([...digests.keys()].sort()).toEqual(['ann', 'bob']);
    expect(digests.get('ann')).not.toBe(digests.get('bob'));
    expect(await h.clients[1]!.collection('notes').find()).toMatchObject([{ text: 'ann' }]);
    expect(await h.clients[2]!.collection('notes').find()).toMatchObject([{ text: 'bob' }]);
    await h.close();
  });

  it('settles through drops, duplicates, lost responses and 5xx once healed', async () => {
    const h = await createTestHarness({
      collections: [notes],
      clients: 3,
      network: {
        seed: 99,
        dropRequestRate: 0.2,
        dropResponseRate: 0.2,
        duplicateRate: 0.2,
        serverErrorRate: 0.1,
        latencyMs: [5, 50],
      },
    });
    for (let i = 0; i < 20; i++)
      await h.clients[i % 3]!.collection('notes').insert({ text: `t${i}`, n: i });
    await expect(h.settle({ maxRounds: 2 })).rejects.toBeInstanceOf(SettleError);
    h.heal();
    await h.settle();
    await h.assertConverged();
    expect(await h.clients[1]!.collection('notes').find()).toHaveLength(20);
    const faults = h.networks.reduce(
      (n, net) => n + net.stats.droppedResponses + net.stats.duplicated,
      0,
    );
    expect(faults).toBeGreaterThan(0);
    await h.close();
  });

  it('flags an open manual() conflict as not converged until it is resolved', async () => {
    const docs = defineCollection({
      name: 'docs',
      schema: z.object({ body: z.string() }),
      conflict: manual(),
    });
    const h = await createTestHarness({ collections: [docs], clients: 2 });
    const d = await h.clients[0]!.collection('docs').insert({ body: 'v0' });
    await h.settle();
    await h.clients[0]!.collection('docs').update(d.id, { body: 'mine' });
    await h.clients[1]!.collection('docs').update(d.id, { body: 'theirs' });
    await h.settle();
    await expect(h.assertConverged()).rejects.toThrow(/syncStatus is conflicted/);
    for (const c of h.clients) {
      for (const conflict of await c.conflicts())
        await c.resolveConflict('docs', conflict.id, { keep: 'local' });
    }
    await h.settle();
    await h.assertConverged();
    await h.close();
  });

  it('S36: a store that drops 1 in 10 field updates makes assertConverged fail', async () => {
    const control = await runUpdates();
    await expect(control.assertConverged()).resolves.toBeInstanceOf(Map);
    await control.close();
    const h = await runUpdates(lossyStore(memoryServerStore(), 10));
    const error = await h.assertConverged().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConvergenceError);
    expect((error as ConvergenceError).differences.some((l) => /\.n: \d \(replica\)/.test(l))).toBe(
      true,
    );
    await h.close();
  });

  it('refuses bad options with INVALID_OPTION', async () => {
    await expect(createTestHarness({ collections: [] })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    await expect(createTestHarness({ collections: [notes], clients: 0 })).rejects.toThrow(
      /clients/,
    );
  });
});
