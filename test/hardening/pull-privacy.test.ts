import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerStore, SyncServer } from 'tidesync/server';
import { call, makeServer, op, pull, pullAll, push, storeKinds } from '../server/server-helpers.js';

// Issue 15, item 12: nothing about other users leaks through cursors or pulled records.
describe.each(storeKinds())('pulls reveal nothing about other users: $name', (kind) => {
  let store: ServerStore;
  let cleanup: () => Promise<void>;
  let server: SyncServer;

  beforeEach(async () => {
    ({ store, cleanup } = await kind.create());
    server = makeServer(store);
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('a cursor does not contain the feed position, the change count or the epoch', async () => {
    await push(server, 'c1', [op({ seq: 1, id: 'a' })]);
    const before = (await pullAll(server, 'c1')).cursor!;
    // Bob writes 20 records: Alice's cursor must not tell her.
    for (let seq = 1; seq <= 20; seq++) {
      await push(server, 'b1', [op({ seq, id: `bob-${seq}` })], { user: 'bob' });
    }
    const after = await pull(server, 'c1', before, 100);
    expect(after.body.changes).toEqual([]);
    const epoch = await store.read((reader) => reader.getEpoch());
    for (const cursor of [before, after.body.cursor]) {
      const text = Buffer.from(cursor, 'base64url').toString('latin1');
      expect(text).not.toContain(epoch);
      expect(text).not.toMatch(/"p"\s*:/);
      expect(() => JSON.parse(text) as unknown).toThrow();
    }
    // Two cursors for the same place differ (random nonce): nothing to compare.
    const again = await pull(server, 'c1', before, 100);
    expect(again.body.cursor).not.toBe(after.body.cursor);
  });

  it('a forged cursor tells nothing about the head: every guess resets the same way', async () => {
    await push(server, 'b1', [op({ seq: 1, id: 'bob-1' }), op({ seq: 2, id: 'bob-2' })], {
      user: 'bob',
    });
    const { cursor: real } = await pullAll(server, 'c1');
    const epoch = await store.read((reader) => reader.getEpoch());
    const forged = (p: number) =>
      Buffer.from(JSON.stringify({ e: epoch, p })).toString('base64url');
    const answers = [];
    for (const p of [0, 1, 2, 3, 1000]) answers.push((await pull(server, 'c1', forged(p))).body);
    for (const answer of answers) expect(answer).toMatchObject({ reset: true, changes: [] });
    const fine = await pull(server, 'c1', real, 100);
    expect(fine.body.reset).toBe(false);
  });

  it("another device's ids are not in pulled, got or pushed records; the writer's own are", async () => {
    await push(
      server,
      'c1',
      [op({ seq: 1, collection: 'boards', id: 'local-b', data: { name: 'x', team: 't' } })],
      {
        team: 't',
      },
    );
    const mine = await pullAll(server, 'c1', null, 100, { team: 't' });
    expect(mine.changes[0]).toMatchObject({ originClientId: 'c1', originId: 'local-b' });
    const theirs = await pullAll(server, 'b1', null, 100, { user: 'bob', team: 't' });
    expect(theirs.changes[0]).toMatchObject({
      id: 'local-b',
      originClientId: null,
      originId: null,
    });
    const got = await call<{ records: Record<string, unknown>[] }>(
      server,
      'get',
      { protocol: 1, clientId: 'b1', collection: 'boards', ids: ['local-b'] },
      { user: 'bob', team: 't' },
    );
    expect(got.body.records[0]).toMatchObject({ originClientId: null, originId: null });
    const edit = await push(
      server,
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
