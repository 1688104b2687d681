import { describe, expect, it } from 'vitest';
import { NOW, call, hlcAt, op, pullAll, push, storeKinds } from '../server/server-helpers.js';
import { serverPerTest } from '../server/server-per-test.js';

// Issue 15, item 11: deletes delete content, in what is sent and in what is stored.
describe.each(storeKinds())('a tombstone keeps no record data: $name', (kind) => {
  const env = serverPerTest(kind);

  const secret = { title: 'bank password 1234', body: 'do not keep me' };
  const insertThenDelete = async () => {
    const clocks = { title: hlcAt(NOW - 5000), body: hlcAt(NOW - 5000) };
    await push(env.server, 'c1', [
      op({ seq: 1, collection: 'notes', id: 'n1', data: secret, fieldClocks: clocks }),
    ]);
    const answer = await push(env.server, 'c1', [
      op({
        seq: 2,
        collection: 'notes',
        id: 'n1',
        serverId: 'n1',
        type: 'delete',
        baseVersion: 1,
        hlc: hlcAt(NOW - 4000),
      }),
    ]);
    return answer.body.results[0];
  };

  it('stores, pulls and gets a deleted record without its data or field clocks', async () => {
    const result = await insertThenDelete();
    expect(result).toMatchObject({ status: 'applied', record: { deleted: true, data: {} } });
    const stored = await env.store.read((reader) => reader.getRecord('notes', 'n1'));
    expect(stored).toMatchObject({ deleted: true, data: {}, fieldClocks: {}, version: 2 });
    const { changes } = await pullAll(env.server, 'c2');
    expect(changes).toEqual([expect.objectContaining({ id: 'n1', deleted: true, data: {} })]);
    expect(JSON.stringify(changes)).not.toContain('bank password');
    const got = await call<{ records: unknown[] }>(env.server, 'get', {
      protocol: 1,
      clientId: 'c2',
      collection: 'notes',
      ids: ['n1'],
    });
    expect(got.body.records).toEqual([
      expect.objectContaining({ id: 'n1', deleted: true, data: {}, fieldClocks: {} }),
    ]);
  });

  it('a conflict answered with the tombstone carries no data either', async () => {
    await insertThenDelete();
    const late = await push(env.server, 'c2', [
      op({
        seq: 1,
        collection: 'memos',
        id: 'm0',
        data: { text: 'x' },
      }),
    ]);
    expect(late.body.results[0]?.status).toBe('applied');
    const stale = await push(env.server, 'c1', [
      op({
        seq: 3,
        collection: 'notes',
        id: 'n1',
        serverId: 'n1',
        type: 'update',
        patch: { title: 'again' },
        baseVersion: 1,
        hlc: hlcAt(NOW - 4500),
        fieldClocks: { title: hlcAt(NOW - 4500) },
      }),
    ]);
    expect(JSON.stringify(stale.body)).not.toContain('bank password');
    expect(JSON.stringify(stale.body)).not.toContain('do not keep me');
  });
});
