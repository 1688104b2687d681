// Issue 15 item 7 (S39): a custom() resolver cannot wedge the outbox. A resolver that throws,
// returns something that is not a record, returns fields that fail the schema or sets
// metadata leaves that record in the conflict inbox (both versions kept, the failure attached
// as a TidesyncError `RESOLVER_FAILED`); every other op and collection keeps syncing.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ConflictEvent, SyncClient } from 'tidesync';
import { TidesyncError, custom, defineCollection, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { ADAPTERS, collect, makeClient, makeServer, rawRecords } from './hostile-server.js';

const fields = { title: z.string().min(1), n: z.number().int() };

/** What the resolver does, by the title of the local version. */
const resolver = custom(({ local, remote }) => {
  const title = String(local.data?.['title']);
  if (title === 'throws') throw new Error('resolver bug: cannot merge');
  if (title === 'returns-number') return 7 as never;
  if (title === 'fails-schema') return { title: '', n: 1.5 };
  if (title === 'sets-meta') return { title: 'x', n: 1, serverId: 'forged' };
  return { title: `${title}+merged`, n: Number(local.data?.['n']) + Number(remote.data?.['n']) };
});

const clientCounters = defineCollection({
  name: 'counters',
  schema: z.object(fields),
  conflict: resolver,
});
const labels = defineCollection({ name: 'labels', schema: z.object({ name: z.string() }) });
const collections = [clientCounters, labels];

const BAD = ['throws', 'returns-number', 'fails-schema', 'sets-meta'];

const open: SyncClient[] = [];
afterEach(async () => {
  for (const client of open.splice(0)) await client.close();
});

describe.each(ADAPTERS)('a failing custom() resolver ($name)', (adapter) => {
  it('leaves its record in the inbox with the error; everything else syncs', async () => {
    const server = makeServer(collections);
    const writer = await makeClient(collections, memoryAdapter(), directTransport(server));
    const storage = adapter.create();
    const client = await makeClient(collections, storage, directTransport(server));
    open.push(writer, client);
    const titles = [...BAD, 'fine'];
    for (const title of titles) await writer.collection('counters').insert({ title, n: 1 });
    await writer.sync();
    await client.sync();
    // Concurrent edits of every record: the writer's reach the server first.
    for (const row of await writer.collection('counters').find())
      await writer.collection('counters').update(row.id, { n: 10 });
    await writer.sync();
    for (const row of await client.collection('counters').find())
      await client.collection('counters').update(row.id, { n: 2 });
    const label = await client.collection('labels').insert({ name: 'keeps syncing' });
    const conflictEvents = collect(client, 'conflict');

    const result = await client.sync();

    expect(result.conflicts).toBe(titles.length);
    const inbox = await client.conflicts();
    expect(inbox.map((c) => c.local?.['title']).sort()).toEqual([...BAD].sort());
    for (const c of inbox) {
      expect(c.local).toEqual({ title: c.local?.['title'], n: 2 });
      expect(c.remote).toEqual({ title: c.local?.['title'], n: 10 });
      expect(c.error).toBeInstanceOf(TidesyncError);
      expect(c.error?.code).toBe('RESOLVER_FAILED');
    }
    const byTitle = new Map(inbox.map((c) => [c.local?.['title'], c]));
    expect(byTitle.get('throws')?.error?.message).toContain('resolver bug: cannot merge');
    expect(byTitle.get('fails-schema')?.error?.message).toContain('VALIDATION_FAILED');
    expect(byTitle.get('sets-meta')?.error?.message).toContain('serverId');
    // The conflict event carries the same error.
    const events = conflictEvents as ConflictEvent[];
    expect(events.filter((e) => e.error?.code === 'RESOLVER_FAILED')).toHaveLength(BAD.length);
    // Nothing the resolver returned was stored.
    const raw = await rawRecords(storage, 'counters');
    expect(raw.some((r) => r.data['serverId'] !== undefined || r.data['title'] === '')).toBe(false);

    // The good resolution and the other collection went through.
    expect((await client.pendingOps()).filter((op) => op.collection === 'counters')).toEqual([]);
    expect((await client.collection('labels').get(label.id))?.syncStatus).toBe('synced');
    await writer.sync();
    const fine = (await writer.collection('counters').find()).find((r) =>
      String(r['title']).startsWith('fine'),
    );
    expect(fine).toMatchObject({ title: 'fine+merged', n: 12 });
    expect((await writer.collection('labels').find()).map((r) => r['name'])).toEqual([
      'keeps syncing',
    ]);

    // The inbox is settled by hand, and the error goes with the conflict.
    for (const c of inbox) await client.resolveConflict('counters', c.id, { keep: 'local' });
    await client.sync();
    expect(await client.conflicts()).toEqual([]);
    expect(await client.pendingOps()).toEqual([]);
  });
});
