// Issue 17 with conflicts: when the server merges a push (fieldMerge), the answer carries the
// merged record, so leaving its echo out loses nothing; when it does not write (manual), the
// other device's state is not this client's echo and still comes with the pull.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, directTransport, fieldMerge, manual } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, memoryServerStore } from 'tidesync/server';
import { clientOn } from './fault-helpers.js';

const cards = defineCollection({
  name: 'cards',
  schema: z.object({ a: z.string(), b: z.string() }),
  conflict: fieldMerge(),
});
const memos = defineCollection({
  name: 'memos',
  schema: z.object({ text: z.string() }),
  conflict: manual(),
});
const collections = [cards, memos];

function rig() {
  const server = createSyncServer({
    collections,
    store: memoryServerStore(),
    authorize: () => ({ userId: 'alice' }),
  });
  const pulls: { appliedSeq?: number; ids: string[] }[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    if (!new URL(request.url).pathname.endsWith('/pull')) return server.fetch(request);
    const body = (await request.clone().json()) as { appliedSeq?: number };
    const response = await server.fetch(request);
    {
      const answer = (await response.clone().json()) as { changes: { id: string }[] };
      pulls.push({ ...body, ids: answer.changes.map((c) => c.id) });
    }
    return response;
  };
  const client = () => clientOn(collections, memoryAdapter(), directTransport({ fetch }));
  return { pulls, client };
}

describe('pull echoes and conflicts', () => {
  it('a field merge: the echo is left out and the device holds the merged record', async () => {
    const r = rig();
    const [one, two] = [await r.client(), await r.client()];
    const card = await one.collection('cards').insert({ a: '1', b: '1' });
    await one.sync();
    await two.sync();
    const serverId = (await one.collection('cards').get(card.id))!.serverId!;
    await one.collection('cards').update(card.id, { a: 'A' });
    await one.sync();
    await two.collection('cards').update(serverId, { b: 'B' });
    await two.sync();
    // Two's pull left out the merged state (its own write), and one's earlier state is gone.
    expect(r.pulls.at(-1)).toMatchObject({ ids: [] });
    expect(r.pulls.at(-1)?.appliedSeq).toBeGreaterThan(0);
    const merged = await two.collection('cards').get(serverId);
    expect([merged?.a, merged?.b, merged?.syncStatus]).toEqual(['A', 'B', 'synced']);
    await one.sync();
    const there = await one.collection('cards').get(card.id);
    expect([there?.a, there?.b]).toEqual(['A', 'B']);
    await Promise.all([one.close(), two.close()]);
  });

  it('a manual conflict: the server did not write, so the other state still comes', async () => {
    const r = rig();
    const [one, two] = [await r.client(), await r.client()];
    const memo = await one.collection('memos').insert({ text: 'start' });
    await one.sync();
    await two.sync();
    const serverId = (await one.collection('memos').get(memo.id))!.serverId!;
    await one.collection('memos').update(memo.id, { text: 'one' });
    await one.sync();
    await two.collection('memos').update(serverId, { text: 'two' });
    await two.sync();
    const [conflict] = await two.conflicts();
    expect([conflict?.local?.['text'], conflict?.remote?.['text']]).toEqual(['two', 'one']);
    await two.resolveConflict('memos', serverId, { keep: 'local' });
    await two.sync();
    await one.sync();
    expect((await one.collection('memos').get(memo.id))?.text).toBe('two');
    expect((await two.collection('memos').get(serverId))?.syncStatus).toBe('synced');
    await Promise.all([one.close(), two.close()]);
  });
});
