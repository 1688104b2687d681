import { describe, expect, it } from 'vitest';
import { parseHlc } from 'tidesync';
import { NOW, call, hlcAt, makeServer, op, pullAll, push, storeKinds } from './server-helpers.js';
import { serverPerTest } from './server-per-test.js';

describe.each(storeKinds())('conflicts, ids and scopes: $name', (kind) => {
  const env = serverPerTest(kind);

  const insert = async (collection: string, id: string, data: Record<string, unknown>) => {
    const answer = await push(env.server, 'c1', [
      op({
        seq: 1,
        collection,
        id,
        data,
        hlc: hlcAt(NOW - 5000, 'c1'),
        fieldClocks: Object.fromEntries(Object.keys(data).map((f) => [f, hlcAt(NOW - 5000, 'c1')])),
      }),
    ]);
    expect(answer.body.results[0]?.status).toBe('applied');
  };
  const update = (
    client: string,
    seq: number,
    collection: string,
    id: string,
    patch: Record<string, unknown>,
    ms: number,
  ) =>
    push(env.server, client, [
      op({
        seq,
        collection,
        id,
        serverId: id,
        type: 'update',
        patch,
        baseVersion: 1,
        hlc: hlcAt(ms, client),
        fieldClocks: Object.fromEntries(Object.keys(patch).map((f) => [f, hlcAt(ms, client)])),
      }),
    ]);

  it('resolves a concurrent update under last-write-wins on the server (merged: true)', async () => {
    await insert('todos', 't1', { title: 'a', done: false });
    await update('c2', 1, 'todos', 't1', { title: 'from c2' }, NOW - 3000);
    const late = await update('c3', 1, 'todos', 't1', { done: true }, NOW - 4000);
    // c3's write is older than c2's: c2's whole record wins, at version 3.
    expect(late.body.results[0]).toMatchObject({
      status: 'applied',
      merged: true,
      version: 3,
      record: { data: { title: 'from c2', done: false } },
    });
    const newer = await update('c3', 2, 'todos', 't1', { done: true }, NOW - 1000);
    expect(newer.body.results[0]).toMatchObject({
      status: 'applied',
      merged: true,
      version: 4,
      record: { data: { title: 'from c2', done: true } },
    });
  });

  it('lets a newer concurrent update win the whole record under last-write-wins (client data)', async () => {
    await insert('todos', 't2', { title: 'a', done: false });
    await update('c2', 1, 'todos', 't2', { title: 'server side' }, NOW - 3000);
    const answer = await push(env.server, 'c3', [
      op({
        seq: 1,
        id: 't2',
        serverId: 't2',
        type: 'update',
        patch: { done: true },
        data: { title: 'a', done: true },
        baseVersion: 1,
        hlc: hlcAt(NOW - 1000, 'c3'),
      }),
    ]);
    expect(answer.body.results[0]).toMatchObject({
      status: 'applied',
      merged: true,
      version: 3,
      record: { data: { title: 'a', done: true } },
    });
  });

  it('merges concurrent updates of different fields under fieldMerge', async () => {
    await insert('notes', 'n1', { title: 'a', body: 'b' });
    await update('c2', 1, 'notes', 'n1', { title: 'T2' }, NOW - 3000);
    const other = await update('c3', 1, 'notes', 'n1', { body: 'B3' }, NOW - 4000);
    expect(other.body.results[0]).toMatchObject({
      status: 'applied',
      merged: true,
      version: 3,
      record: { data: { title: 'T2', body: 'B3' } },
    });
  });

  it('returns a conflict with the server record under manual() and changes nothing', async () => {
    await insert('memos', 'm1', { text: 'v1' });
    await update('c2', 1, 'memos', 'm1', { text: 'v2' }, NOW - 3000);
    const clash = await update('c3', 1, 'memos', 'm1', { text: 'v3' }, NOW - 1000);
    expect(clash.body.results[0]).toMatchObject({
      status: 'conflict',
      serverId: 'm1',
      record: { version: 2, data: { text: 'v2' } },
    });
    const { changes } = await pullAll(env.server, 'c1');
    expect(changes).toEqual([
      expect.objectContaining({ id: 'm1', version: 2, data: { text: 'v2' } }),
    ]);
  });

  it('clamps an op clocked in 2099 to server time plus maxClockDriftMs', async () => {
    const year2099 = Date.UTC(2099, 0, 1);
    const answer = await push(env.server, 'c1', [
      op({
        seq: 1,
        id: 'f',
        hlc: hlcAt(year2099, 'c1', 7),
        fieldClocks: { title: hlcAt(year2099, 'c1') },
      }),
    ]);
    const record = (
      answer.body.results[0] as { record: { hlc: string; fieldClocks: Record<string, string> } }
    ).record;
    expect(parseHlc(record.hlc)).toEqual({ ms: NOW + 86_400_000, counter: 7, node: 'c1' });
    expect(parseHlc(record.fieldClocks['title']!)?.ms).toBe(NOW + 86_400_000);
    // An honest later write (within the window) still wins against it under LWW.
    const honest = await push(env.server, 'c2', [
      op({
        seq: 1,
        id: 'f',
        serverId: 'f',
        type: 'update',
        patch: { title: 'honest' },
        baseVersion: 0,
        hlc: hlcAt(NOW + 86_400_000 + 0, 'c2', 8),
      }),
    ]);
    expect(honest.body.results[0]).toMatchObject({
      status: 'applied',
      record: { data: { title: 'honest' } },
    });
  });

  it('mints server ids and applies an update queued behind its insert (serverId null)', async () => {
    const serverIds = makeServer(env.store, { assignId: 'server' });
    const answer = await push(serverIds, 'c1', [
      op({ seq: 1, id: 'local-1', data: { title: 'x', done: false } }),
      op({ seq: 2, id: 'local-2', data: { title: 'y', done: false } }),
      op({ seq: 3, id: 'local-1', type: 'update', patch: { done: true }, baseVersion: 1 }),
      op({ seq: 4, id: 'local-2', type: 'delete', baseVersion: 1 }),
    ]);
    const [a, b, c, d] = answer.body.results as {
      status: string;
      serverId: string;
      record: { originId: string; originClientId: string; data: unknown; deleted: boolean };
    }[];
    expect(a!.serverId).not.toBe('local-1');
    expect(a!.record).toMatchObject({ originClientId: 'c1', originId: 'local-1' });
    expect(c).toMatchObject({
      status: 'applied',
      serverId: a!.serverId,
      record: { data: { title: 'x', done: true } },
    });
    expect(d).toMatchObject({
      status: 'applied',
      serverId: b!.serverId,
      record: { deleted: true },
    });
    const { changes } = await pullAll(serverIds, 'c1');
    expect(changes.map((ch) => [ch.id, ch.version, ch.deleted])).toEqual([
      [a!.serverId, 2, false],
      [b!.serverId, 2, true],
    ]);
  });

  it('keeps user B away from A’s records: update, delete, insert over, pull and get', async () => {
    await insert('todos', 'secret', { title: 'mine', done: false });
    const attempts = await push(
      env.server,
      'b1',
      [
        op({
          seq: 1,
          id: 'secret',
          serverId: 'secret',
          type: 'update',
          patch: { title: 'pwned' },
          baseVersion: 1,
        }),
        op({ seq: 2, id: 'secret', serverId: 'secret', type: 'delete', baseVersion: 1 }),
        op({ seq: 3, id: 'secret', data: { title: 'overwrite', done: true } }),
      ],
      { user: 'bob' },
    );
    expect(attempts.body.results.map((r) => [r.status, (r as { code?: string }).code])).toEqual([
      ['rejected', 'forbidden'],
      ['rejected', 'forbidden'],
      ['rejected', 'forbidden'],
    ]);
    expect(JSON.stringify(attempts.body)).not.toContain('mine');
    expect((await pullAll(env.server, 'b1', null, 100, { user: 'bob' })).changes).toEqual([]);
    const got = await call<{ records: unknown[] }>(
      env.server,
      'get',
      { protocol: 1, clientId: 'b1', collection: 'todos', ids: ['secret'] },
      { user: 'bob' },
    );
    expect(got.body.records).toEqual([]);
    const mine = await call<{ records: { data: unknown; version: number }[] }>(env.server, 'get', {
      protocol: 1,
      clientId: 'c1',
      collection: 'todos',
      ids: ['secret', 'nope'],
    });
    expect(mine.body.records).toEqual([
      expect.objectContaining({ version: 1, data: { title: 'mine', done: false } }),
    ]);
  });

  it('answers 403 to a clientId used by another user, with nothing changed', async () => {
    await insert('todos', 'a', { title: 'a', done: false });
    const hijack = await push(env.server, 'c1', [op({ seq: 2, id: 'b' })], { user: 'bob' });
    expect(hijack.status).toBe(403);
    expect(hijack.body.error?.code).toBe('forbidden');
    expect(
      (
        await call(
          env.server,
          'pull',
          { protocol: 1, clientId: 'c1', cursor: null, limit: 10 },
          { user: 'bob' },
        )
      ).status,
    ).toBe(403);
    expect((await pullAll(env.server, 'c1')).changes.map((c) => c.id)).toEqual(['a']);
  });

  it('lets a scope function share records across users of a team, and only them', async () => {
    const answer = await push(
      env.server,
      'c1',
      [op({ seq: 1, collection: 'boards', id: 'b1', data: { name: 'plan', team: 'red' } })],
      { team: 'red' },
    );
    expect(answer.body.results[0]?.status).toBe('applied');
    const outside = await push(
      env.server,
      'c9',
      [op({ seq: 1, collection: 'boards', id: 'b2', data: { name: 'x', team: 'red' } })],
      { user: 'eve', team: 'blue' },
    );
    expect(outside.body.results[0]).toMatchObject({ status: 'rejected', code: 'forbidden' });
    const mate = await push(
      env.server,
      'c2',
      [
        op({
          seq: 1,
          collection: 'boards',
          id: 'b1',
          serverId: 'b1',
          type: 'update',
          patch: { name: 'plan v2' },
          baseVersion: 1,
        }),
      ],
      { user: 'bob', team: 'red' },
    );
    expect(mate.body.results[0]).toMatchObject({ status: 'applied', version: 2 });
    const moveOut = await push(
      env.server,
      'c2',
      [
        op({
          seq: 2,
          collection: 'boards',
          id: 'b1',
          serverId: 'b1',
          type: 'update',
          patch: { team: 'blue' },
          baseVersion: 2,
        }),
      ],
      { user: 'bob', team: 'red' },
    );
    expect(moveOut.body.results[0]).toMatchObject({ status: 'rejected', code: 'forbidden' });
    expect(
      (await pullAll(env.server, 'c9', null, 100, { user: 'eve', team: 'blue' })).changes,
    ).toEqual([]);
    expect(
      (await pullAll(env.server, 'c2', null, 100, { user: 'bob', team: 'red' })).changes.map(
        (c) => c.data,
      ),
    ).toEqual([{ name: 'plan v2', team: 'red' }]);
  });

  it('rejects unknown collections, schema failures and missing records per op, and goes on', async () => {
    const answer = await push(env.server, 'c1', [
      op({ seq: 1, collection: 'nope', id: 'x' }),
      op({ seq: 2, id: 'bad', data: { title: 5, done: false } }),
      op({ seq: 3, id: 'extra', data: { title: 'a', done: false, admin: true } }),
      op({
        seq: 4,
        id: 'ghost',
        serverId: 'ghost',
        type: 'update',
        patch: { done: true },
        baseVersion: 1,
      }),
      op({ seq: 5, id: 'ok' }),
      op({
        seq: 6,
        id: 'ok',
        serverId: 'ok',
        type: 'update',
        patch: { done: 'yes' },
        baseVersion: 1,
      }),
    ]);
    expect(answer.body.results.map((r) => (r.status === 'rejected' ? r.code : r.status))).toEqual([
      'unknown_collection',
      'validation_failed',
      'validation_failed',
      'not_found',
      'applied',
      'validation_failed',
    ]);
    expect((answer.body.results[1] as { message: string }).message).toContain('data.title');
    expect((answer.body.results[5] as { message: string }).message).toContain('patch.done');
    expect(answer.body.lastSeq).toBe(6);
  });
});
