import { describe, expect, it } from 'vitest';
import { createTestHarness } from 'tidesync/testing';
import { orders } from './set-helpers.js';

// Issue 19, testing toolkit: sets per client, and assertConverged against what they cover.
describe('test harness with sync sets', () => {
  it('compares each replica with what its own sets cover, and catches a stale one', async () => {
    const h = await createTestHarness({
      collections: [orders],
      clients: [
        { sets: [{ collection: 'orders', where: { region: 'north' } }] },
        { sets: [{ collection: 'orders', where: { region: { in: ['south', 'east'] } } }] },
        {},
      ],
    });
    const a = h.clients[0]!.collection(orders);
    const b = h.clients[1]!.collection(orders);
    const n1 = await a.insert({ title: 'n1', region: 'north', projectId: null });
    await a.insert({ title: 'written outside its sets', region: 'south', projectId: null });
    await b.insert({ title: 'e1', region: 'east', projectId: null });
    await h.settle();
    await h.assertConverged();
    // Written outside client 0's sets: synced up, then gone from client 0 (client 1 covers it).
    expect((await a.find()).map((r) => r.title)).toEqual(['n1']);
    expect((await b.find()).map((r) => r.title).sort()).toEqual(['e1', 'written outside its sets']);
    expect(await h.clients[2]!.collection(orders).find()).toEqual([]);

    // Client 0 misses the move of n1 out of its set: its copy is stale, and the harness says so.
    h.offline(0);
    const moved = (await b.find()).length; // n1 is not on b yet
    expect(moved).toBe(2);
    await h.clients[1]!.collection(orders).syncSet({ where: { region: 'north' } });
    await h.settle();
    await b.update(n1.id, { region: 'east' });
    await h.settle();
    await expect(h.assertConverged()).rejects.toThrow(/client 0 orders\//);
    h.online(0);
    await h.settle();
    await h.assertConverged();
    expect(await a.find()).toEqual([]);
    await h.close();
  });
});
