import { describe, expect, it } from 'vitest';
import { call, makeServer, op, pull, pullAll, push, storeKinds } from '../server/server-helpers.js';
import { serverPerTest } from '../server/server-per-test.js';

// Issue 15, item 12: nothing about other users leaks through cursors or pulled records.
describe.each(storeKinds())('pulls reveal nothing about other users: $name', (kind) => {
  const env = serverPerTest(kind);

  it('a cursor does not contain the feed position, the change count or the epoch', async () => {
    await push(env.server, 'c1', [op({ seq: 1, id: 'a' })]);
    const before = (await pullAll(env.server, 'c1')).cursor!;
    // Bob writes 20 records: Alice's cursor must not tell her.
    for (let seq = 1; seq <= 20; seq++) {
      await push(env.server, 'b1', [op({ seq, id: `bob-${seq}` })], { user: 'bob' });
    }
    const after = await pull(env.server, 'c1', before, 100);
    expect(after.body.changes).toEqual([]);
    const epoch = await env.store.read((reader) => reader.getEpoch());
    for (const cursor of [before, after.body.cursor]) {
      const text = Buffer.from(cursor, 'base64url').toString('latin1');
      expect(text).not.toContain(epoch);
      expect(text).not.toMatch(/"p"\s*:/);
      expect(() => JSON.parse(text) as unknown).toThrow();
    }
    // Bob's writes did not even move Alice's cursor: it is the same sealed token as before.
    expect(after.body.cursor).toBe(before);
  });

  it('a forged cursor tells nothing about the head: every guess gets the same answer', async () => {
    await push(env.server, 'b1', [op({ seq: 1, id: 'bob-1' }), op({ seq: 2, id: 'bob-2' })], {
      user: 'bob',
    });
    await push(env.server, 'c1', [op({ seq: 1, id: 'mine' })]);
    const { cursor: real } = await pullAll(env.server, 'c1');
    const epoch = await env.store.read((reader) => reader.getEpoch());
    // Clear-text cursors of the earlier release, with the right epoch and any position: each
    // starts over from the beginning (no re-base), whatever position it claims.
    const forged = (p: number) =>
      Buffer.from(JSON.stringify({ e: epoch, p })).toString('base64url');
    const shape = (body: { changes: { id: string }[]; reset: boolean; hasMore: boolean }) => ({
      ids: body.changes.map((c) => c.id),
      reset: body.reset,
      hasMore: body.hasMore,
    });
    const answers = [];
    for (const p of [0, 1, 2, 3, 1000])
      answers.push(shape((await pull(env.server, 'c1', forged(p))).body));
    expect(answers).toEqual(answers.map(() => ({ ids: ['mine'], reset: false, hasMore: false })));
    // Another epoch, or a sealed cursor altered: reset, the same way.
    const other = Buffer.from(JSON.stringify({ e: 'other', p: 1 })).toString('base64url');
    expect((await pull(env.server, 'c1', other)).body).toMatchObject({ reset: true });
    const fine = await pull(env.server, 'c1', real, 100);
    expect(fine.body).toMatchObject({ reset: false, changes: [] });
  });

  it('a cursor sealed under one cursorSecret is refused under another', async () => {
    await push(env.server, 'c1', [op({ seq: 1, id: 'mine' })]);
    const first = makeServer(env.store, { cursorSecret: 'first secret' });
    const second = makeServer(env.store, { cursorSecret: 'second secret' });
    const { cursor } = await pullAll(first, 'c1');
    expect((await pull(first, 'c1', cursor)).body).toMatchObject({ reset: false, changes: [] });
    expect((await pull(second, 'c1', cursor)).body).toMatchObject({ reset: true });
    expect((await pull(env.server, 'c1', cursor)).body).toMatchObject({ reset: true });
  });

  it("another device's ids are not in pulled, got or pushed records; the writer's own are", async () => {
    await push(
      env.server,
      'c1',
      [op({ seq: 1, collection: 'boards', id: 'local-b', data: { name: 'x', team: 't' } })],
      {
        team: 't',
      },
    );
    const mine = await pullAll(env.server, 'c1', null, 100, { team: 't' });
    expect(mine.changes[0]).toMatchObject({ originClientId: 'c1', originId: 'local-b' });
    const theirs = await pullAll(env.server, 'b1', null, 100, { user: 'bob', team: 't' });
    expect(theirs.changes[0]).toMatchObject({
      id: 'local-b',
      originClientId: null,
      originId: null,
    });
    const got = await call<{ records: Record<string, unknown>[] }>(
      env.server,
      'get',
      { protocol: 1, clientId: 'b1', collection: 'boards', ids: ['local-b'] },
      { user: 'bob', team: 't' },
    );
    expect(got.body.records[0]).toMatchObject({ originClientId: null, originId: null });
    const edit = await push(
      env.server,
      'b1',
      [
        op({
          seq: 1,
          collection: 'boards',
          id: 'local-b',
          serverId: 'local-b',
          type: 'update',
          patch: { name: 'y' },
          baseVersion: 1,
        }),
      ],
      { user: 'bob', team: 't' },
    );
    expect(edit.body.results[0]).toMatchObject({
      status: 'applied',
      record: { originClientId: null, originId: null },
    });
    expect(JSON.stringify([theirs, got.body, edit.body])).not.toContain('"c1"');
  });
});
