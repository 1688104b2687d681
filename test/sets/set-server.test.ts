import { describe, expect, it } from 'vitest';
import { makeServer, op, pull, push, storeKinds, NOW } from '../server/server-helpers.js';
import { serverPerTest } from '../server/server-per-test.js';
import {
  orderInsert,
  orderUpdate,
  orders,
  pullSet,
  pullWholeSet,
  teamOrders,
} from './set-helpers.js';
import { todos } from '../server/server-helpers.js';

const north = { collection: 'orders', where: { region: 'north' } };

// Issue 19: the server answers each sync set from its index, moves included.
describe.each(storeKinds())('set pulls on the server: $name', (kind) => {
  const t = serverPerTest(kind, { collections: [orders, teamOrders, todos] });

  it('returns only the set’s records, with a real remaining count on the first page', async () => {
    const ops = [];
    for (let i = 0; i < 12; i++) {
      ops.push(orderInsert(i + 1, `o${i}`, { region: i % 3 === 0 ? 'north' : 'south' }));
    }
    expect((await push(t.server, 'w', ops)).status).toBe(200);
    const first = await pullSet(t.server, 'dev', north, null, { limit: 2, count: true });
    expect(first.status).toBe(200);
    expect(first.body.remaining).toBe(4);
    expect(first.body.changes.map((c) => c.id)).toEqual(['o0', 'o3']);
    expect(first.body.hasMore).toBe(true);
    const rest = await pullWholeSet(t.server, 'dev', north, first.body.cursor, { limit: 2 });
    expect(rest.changes.map((c) => c.id)).toEqual(['o6', 'o9']);
    const again = await pullSet(t.server, 'dev', north, rest.cursor, { count: true });
    expect(again.body).toMatchObject({ changes: [], hasMore: false, remaining: 0 });
  });

  it('keeps `sync: sets` collections out of the feed pull and other users’ records out of sets', async () => {
    await push(t.server, 'w', [orderInsert(1, 'mine', { region: 'north' })]);
    await push(t.server, 'b', [orderInsert(1, 'bobs', { region: 'north' })], { user: 'bob' });
    await push(t.server, 'w', [op({ seq: 2, id: 't1' })]);
    const feed = await pull(t.server, 'dev', null);
    expect(feed.body.changes.map((c) => c.id)).toEqual(['t1']);
    const set = await pullWholeSet(t.server, 'dev', north, null);
    expect(set.changes.map((c) => c.id)).toEqual(['mine']);
  });

  it('answers `held` ids with their current state, only what the user may see', async () => {
    await push(t.server, 'w', [orderInsert(1, 'a', { region: 'south' })]);
    await push(t.server, 'w', [orderUpdate(2, 'a', 1, { title: 'later' }, NOW - 900)]);
    await push(t.server, 'b', [orderInsert(1, 'bobs', { region: 'south' })], { user: 'bob' });
    const start = await pullWholeSet(t.server, 'dev', north, null);
    expect(start.changes).toEqual([]);
    const held = await pullSet(t.server, 'dev', north, start.cursor, {
      held: ['a', 'bobs', 'missing', 'a'],
    });
    expect(held.status).toBe(200);
    expect(held.body.changes).toHaveLength(1);
    expect(held.body.changes[0]).toMatchObject({ id: 'a', version: 2, data: { title: 'later' } });
    const tooMany = await pullSet(t.server, 'dev', north, null, {
      held: Array.from({ length: 101 }, (_, i) => `h${i}`),
    });
    expect(tooMany.status).toBe(400);
  });

  it('delivers a record that left the set, even after it changed again outside it', async () => {
    await push(t.server, 'w', [orderInsert(1, 'a', { region: 'north' })]);
    const start = await pullWholeSet(t.server, 'dev', north, null);
    expect(start.changes.map((c) => c.id)).toEqual(['a']);
    await push(t.server, 'w', [orderUpdate(2, 'a', 1, { region: 'south' }, NOW - 900)]);
    await push(t.server, 'w', [orderUpdate(3, 'a', 2, { title: 'later' }, NOW - 800)]);
    const after = await pullWholeSet(t.server, 'dev', north, start.cursor);
    expect(after.changes).toHaveLength(1);
    expect(after.changes[0]).toMatchObject({ id: 'a', version: 3, data: { region: 'south' } });
    // Nothing new since: the exit is not delivered again.
    const quiet = await pullWholeSet(t.server, 'dev', north, after.cursor);
    expect(quiet.changes).toEqual([]);
  });

  it('delivers a record that moved in, and a delete of a record in the set', async () => {
    await push(t.server, 'w', [
      orderInsert(1, 'in', { region: 'south' }),
      orderInsert(2, 'del', { region: 'north' }),
    ]);
    const start = await pullWholeSet(t.server, 'dev', north, null);
    expect(start.changes.map((c) => c.id)).toEqual(['del']);
    await push(t.server, 'w', [
      orderUpdate(3, 'in', 1, { region: 'north' }, NOW - 900),
      op({
        seq: 4,
        collection: 'orders',
        id: 'del',
        serverId: 'del',
        type: 'delete',
        baseVersion: 1,
      }),
    ]);
    const after = await pullWholeSet(t.server, 'dev', north, start.cursor);
    const byId = new Map(after.changes.map((c) => [c.id, c]));
    expect(byId.get('in')).toMatchObject({ version: 2, deleted: false });
    expect(byId.get('del')).toMatchObject({ version: 2, deleted: true });
  });

  it('answers `in` lists and several fields (driven by one index, checked per record)', async () => {
    await push(t.server, 'w', [
      orderInsert(1, 'n1', { region: 'north', projectId: 'p1' }),
      orderInsert(2, 'n2', { region: 'north', projectId: 'p2' }),
      orderInsert(3, 'e1', { region: 'east', projectId: 'p1' }),
      orderInsert(4, 's1', { region: 'south', projectId: 'p1' }),
    ]);
    const both = await pullWholeSet(
      t.server,
      'dev',
      { collection: 'orders', where: { region: { in: ['north', 'east'] } } },
      null,
    );
    expect(both.changes.map((c) => c.id).sort()).toEqual(['e1', 'n1', 'n2']);
    const narrow = await pullWholeSet(
      t.server,
      'dev',
      { collection: 'orders', where: { region: 'north', projectId: 'p1' } },
      null,
    );
    // The device evaluates the whole where; every delivered record has the driving value.
    expect(narrow.changes.map((c) => c.id)).toContain('n1');
    expect(
      narrow.changes.every((c) => c.data['region'] === 'north' || c.data['projectId'] === 'p1'),
    ).toBe(true);
  });

  it('in a scoped collection: sees the team’s records and is told when one leaves the scope', async () => {
    const set = { collection: 'teamOrders', where: { region: 'north' } };
    const insert = op({
      seq: 1,
      collection: 'teamOrders',
      id: 'x',
      data: { title: 'x', region: 'north', team: 'red' },
    });
    const pushed = await push(t.server, 'w', [insert], { user: 'alice', team: 'red' });
    expect(pushed.body.results[0]).toMatchObject({ status: 'applied' });
    const bob = await pullWholeSet(t.server, 'bob-1', set, null, { user: 'bob', team: 'red' });
    expect(bob.changes.map((c) => c.id)).toEqual(['x']);
    const moved = op({
      seq: 2,
      collection: 'teamOrders',
      id: 'x',
      serverId: 'x',
      type: 'update',
      baseVersion: 1,
      patch: { team: 'blue' },
    });
    expect((await push(t.server, 'w', [moved], { user: 'alice', team: 'red' })).status).toBe(200);
    const after = await pullWholeSet(t.server, 'bob-1', set, bob.cursor, {
      user: 'bob',
      team: 'red',
    });
    expect(after.changes).toEqual([]);
    expect(after.removed).toEqual(['x']);
    const carol = await pullWholeSet(t.server, 'c-1', set, null, { user: 'carol', team: 'green' });
    expect(carol.changes).toEqual([]);
  });

  it('reads the whole set from a second server instance on the same store', async () => {
    await push(t.server, 'w', [orderInsert(1, 'a', { region: 'north' })]);
    const other = makeServer(t.store, { collections: [orders, teamOrders, todos] });
    const set = await pullWholeSet(other, 'dev', north, null);
    expect(set.changes.map((c) => c.id)).toEqual(['a']);
  });
});
