import { copyFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSyncClient, httpTransport } from 'tidesync';
import type { OutboxOp, StorageAdapter } from 'tidesync';
import { SQLITE_LAYOUT_VERSION } from 'tidesync/adapters/sqlite';
import { makeOp, makeRecord } from '../../src/testing/conformance/storage-fixtures.js';
import { contents } from './sqlite-upgrade-helpers.js';
import { fixtureCollections, sqliteFiles } from './sqlite-layout-helpers.js';

// Layout 7: the outbox table has no index; ops are found by op id and by record through each
// connection's in-memory op index, rebuilt when another connection wrote (data_version) and
// dropped when a transaction that changed it rolls back.

const { tempFile, open } = sqliteFiles('tidesync-sqlite-op-index-');

function rawOps(file: string): { seq: number; op_id: string; record_id: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT seq, op_id, record_id FROM tidesync_ops ORDER BY seq').all() as {
      seq: number;
      op_id: string;
      record_id: string;
    }[];
  } finally {
    db.close();
  }
}

function indexNames(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'tidesync_%'")
        .all() as { name: string }[]
    )
      .map((row) => row.name)
      .sort();
  } finally {
    db.close();
  }
}

const byRecord = (storage: StorageAdapter, id: string, collection = 'todos') =>
  storage.transaction('readonly', (tx) => tx.listOps({ collection, recordId: id }));

describe('SQLite layout 7: the outbox without indexes', () => {
  it('upgrades a layout 6 file written by the real layout 6 code (9b387cb): indexes dropped, rows unchanged', async () => {
    // Written by test/adapters/fixtures/make-sqlite-layout-fixture.ts at 9b387cb (layout 6).
    const file = tempFile();
    copyFileSync(new URL('./fixtures/sqlite-layout-v6.db', import.meta.url), file);
    const before = contents(file) as { version: number; rows: unknown };
    expect(before.version).toBe(6);
    expect(indexNames(file)).toContain('tidesync_ops_id');
    const raw = rawOps(file);
    expect(raw.map((op) => op.seq)).toEqual([10, 11, 12, 13, 14]);

    const storage = open(file);
    const ops = await storage.transaction('readonly', (tx) => tx.listOps());
    expect(ops.map((op) => op.seq)).toEqual([10, 11, 12, 13, 14]);
    await storage.transaction('readonly', async (tx) => {
      for (const op of ops) {
        expect(await tx.getOp(op.opId)).toEqual(op);
        expect(await tx.listOps({ collection: op.collection, recordId: op.id })).toEqual([op]);
      }
      expect(await tx.getOp('no-such-op')).toBeUndefined();
    });
    await storage.close();
    const after = contents(file) as { version: number; rows: unknown };
    expect(after.version).toBe(SQLITE_LAYOUT_VERSION);
    expect(SQLITE_LAYOUT_VERSION).toBe(7);
    expect(after.rows).toEqual(before.rows);
    expect(indexNames(file)).toEqual(['tidesync_records_conflicted', 'tidesync_records_server_id']);

    // The client on the upgraded file: an update coalesces into the queued insert found by
    // record, and the counters go on from the old ones.
    const client = await createSyncClient({
      collections: fixtureCollections,
      storage: open(file),
      transport: httpTransport({ url: 'http://127.0.0.1:9/sync' }),
      triggers: [],
    });
    const todos = client.collection('todos');
    const fresh = (await todos.find({ where: { title: 'offline-new' } }))[0]!;
    await todos.update(fresh.id, { done: true });
    const added = await todos.insert({ title: 'after upgrade', done: false, projectId: null });
    const pending = await client.pendingOps();
    expect(pending.map((op) => op.seq)).toEqual([11, 12, 13, 14, 15]);
    expect(pending.find((op) => op.id === fresh.id)).toMatchObject({
      type: 'insert',
      data: { done: true },
    });
    expect(pending.at(-1)).toMatchObject({ id: added.id, type: 'insert' });
    await client.close();
    expect(contents(file)).toMatchObject({ version: 7 });
    expect(rawOps(file).map((op) => op.seq)).toEqual([10, 11, 12, 13, 14, 15]);
  });

  it('finds, moves and deletes ops written by another connection to the same file', async () => {
    const file = tempFile();
    const a = open(file);
    const b = open(file);
    await a.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'op1', seq: 1, id: 'r1' }));
    });
    expect((await byRecord(b, 'r1')).map((op) => op.opId)).toEqual(['op1']);
    // b knows op1; a writes more and moves op1: b must see it all, not its old map.
    await a.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'op2', seq: 2, id: 'r1' }));
      await tx.putOp(makeOp({ opId: 'op1', seq: 3, id: 'r2' }));
    });
    expect((await byRecord(b, 'r1')).map((op) => op.opId)).toEqual(['op2']);
    expect((await byRecord(b, 'r2')).map((op) => op.opId)).toEqual(['op1']);
    expect((await b.transaction('readonly', (tx) => tx.getOp('op1')))?.seq).toBe(3);
    // b replaces an op that a wrote: one row per op id.
    await b.transaction('readwrite', (tx) =>
      tx.putOp(makeOp({ opId: 'op2', seq: 2, id: 'r1', state: 'inflight' })),
    );
    expect(rawOps(file).map((op) => op.op_id)).toEqual(['op2', 'op1']);
    expect((await a.transaction('readonly', (tx) => tx.getOp('op2')))?.state).toBe('inflight');
    await b.transaction('readwrite', (tx) => tx.deleteOp('op1'));
    expect(await a.transaction('readonly', (tx) => tx.getOp('op1'))).toBeUndefined();
    expect(await byRecord(a, 'r2')).toEqual([]);
    await a.close();
    await b.close();
  });

  it('forgets what a rolled-back transaction did to the outbox', async () => {
    const file = tempFile();
    const storage = open(file);
    const kept = makeOp({ opId: 'kept', seq: 1, id: 'r1' });
    await storage.transaction('readwrite', (tx) => tx.putOp(kept));
    const failing = storage.transaction('readwrite', async (tx) => {
      await tx.deleteOp('kept');
      await tx.putOp(makeOp({ opId: 'gone', seq: 2, id: 'r1' }));
      await tx.putOp(makeOp({ opId: 'moved', seq: 3, id: 'r3' }));
      throw new Error('abort');
    });
    await expect(failing).rejects.toThrow('abort');
    await storage.transaction('readonly', async (tx) => {
      expect(await tx.getOp('kept')).toEqual(kept);
      expect(await tx.getOp('gone')).toBeUndefined();
      expect(await tx.listOps({ collection: 'todos', recordId: 'r1' })).toEqual([kept]);
    });
    // The op id of the rolled-back insert is free again; `kept` is replaced, not duplicated.
    await storage.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'gone', seq: 2, id: 'r1' }));
      await tx.putOp({ ...kept, seq: 4 } satisfies OutboxOp);
    });
    expect(rawOps(file).map((op) => [op.seq, op.op_id])).toEqual([
      [2, 'gone'],
      [4, 'kept'],
    ]);
    await storage.close();
  });

  it('finds the ops of a file after a reopen, and replaces instead of duplicating them', async () => {
    const file = tempFile();
    const first = open(file);
    await first.transaction('readwrite', async (tx) => {
      for (let seq = 1; seq <= 5; seq++) {
        await tx.putOp(makeOp({ opId: `op${seq}`, seq, id: `r${seq % 2}` }));
      }
    });
    await first.close();
    const again = open(file);
    expect((await byRecord(again, 'r1')).map((op) => op.seq)).toEqual([1, 3, 5]);
    await again.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'op3', seq: 3, id: 'r1', state: 'dead' }));
      await tx.putOp(makeOp({ opId: 'op1', seq: 6, id: 'r0' }));
    });
    expect(rawOps(file).map((op) => [op.seq, op.op_id, op.record_id])).toEqual([
      [2, 'op2', 'r0'],
      [3, 'op3', 'r1'],
      [4, 'op4', 'r0'],
      [5, 'op5', 'r1'],
      [6, 'op1', 'r0'],
    ]);
    await again.transaction('readonly', async (tx) => {
      expect(
        (await tx.listOps({ collection: 'todos', recordId: 'r1', states: ['queued'] })).map(
          (op) => op.seq,
        ),
      ).toEqual([5]);
      expect(
        (await tx.listOps({ collection: 'todos', recordId: 'r0', limit: 2 })).map((op) => op.seq),
      ).toEqual([2, 4]);
    });
    await again.close();
  });

  it('stores op bodies as arrays, with the changed fields and clocks as 0, and reads back exactly', async () => {
    const file = tempFile();
    const hlc = '0001700000000009-0000-client1';
    const older = '0001700000000001-0000-client1';
    const insert = makeOp({
      opId: 'ins',
      seq: 1,
      id: 'r1',
      hlc,
      data: { title: 't', done: false, 2: 'two' },
      changedFields: ['2', 'title', 'done'],
      fieldClocks: { 2: hlc, title: hlc, done: hlc },
    });
    const update = makeOp({
      opId: 'upd',
      seq: 2,
      id: 'r2',
      type: 'update',
      hlc,
      data: { title: 'u', done: true },
      patch: { done: true },
      changedFields: ['done'],
      fieldClocks: { done: hlc, title: older },
    });
    // Changed fields not in the data's key order, and clocks that are not the changed fields.
    const reordered = makeOp({
      opId: 'ord',
      seq: 3,
      id: 'r3',
      changedFields: ['done', 'title'],
      fieldClocks: { title: hlc, done: older },
      hlc,
    });
    const proto = JSON.parse(`{"__proto__":"p","title":"x"}`) as Record<string, string>;
    const awkward = makeOp({
      opId: 'awk',
      seq: 4,
      id: 'r4',
      hlc,
      data: proto,
      changedFields: ['__proto__', 'title'],
      fieldClocks: JSON.parse(`{"__proto__":"${hlc}","title":"${hlc}"}`) as Record<string, string>,
    });
    const deleted = makeOp({
      opId: 'del',
      seq: 5,
      id: 'r5',
      type: 'delete',
      data: null,
      changedFields: [],
      fieldClocks: {},
    });
    const ops = [insert, update, reordered, awkward, deleted];
    const storage = open(file);
    await storage.transaction('readwrite', async (tx) => {
      for (const op of ops) await tx.putOp(op);
    });
    const read = await storage.transaction('readonly', (tx) => tx.listOps());
    expect(read).toEqual(ops);
    expect(read.map((op) => Object.keys(op.fieldClocks))).toEqual(
      ops.map((op) => Object.keys(op.fieldClocks)),
    );
    expect(Object.getPrototypeOf(read[3]!.data)).toBe(Object.prototype);
    expect(Object.keys(read[3]!.data!)).toEqual(['__proto__', 'title']);
    await storage.close();
    const db = new Database(file, { readonly: true });
    const bodies = (
      db.prepare('SELECT body FROM tidesync_ops ORDER BY seq').all() as { body: string }[]
    ).map((row) => JSON.parse(row.body) as unknown[]);
    db.close();
    expect(bodies.map((body) => [body[4], body[7]])).toEqual([
      [0, 0],
      [['done'], { done: 0, title: older }],
      [['done', 'title'], { title: 0, done: older }],
      [['__proto__', 'title'], JSON.parse(`{"__proto__":"${hlc}","title":"${hlc}"}`)],
      [[], 0],
    ]);
  });

  it('writes the op body of a client insert in about half the bytes of layout 6', async () => {
    const file = tempFile();
    const client = await createSyncClient({
      collections: fixtureCollections,
      storage: open(file),
      transport: httpTransport({ url: 'http://127.0.0.1:9/sync' }),
      triggers: [],
    });
    const todo = await client
      .collection('todos')
      .insert({ title: 'todo 0000001 xxxxxxxxxxxxxxxxxxxxxxxxxxx', done: false, projectId: null });
    const [op] = await client.pendingOps();
    await client.close();
    const db = new Database(file, { readonly: true });
    const { body } = db.prepare('SELECT body FROM tidesync_ops').get() as { body: string };
    db.close();
    expect(op).toMatchObject({ id: todo.id, changedFields: ['title', 'done', 'projectId'] });
    expect(body).not.toContain('changedFields');
    // Layout 6 stored this op's body as an object of about 340 bytes.
    expect(body.length).toBeLessThan(200);
  });

  it('stores a record whose clocks are its fields at its clock as 0, and reads every record back exactly', async () => {
    const file = tempFile();
    const hlc = '0001700000000009-0000-client1';
    const older = '0001700000000001-0000-client1';
    const records = [
      makeRecord({
        id: 'all',
        hlc,
        data: { b: 1, a: 2, 3: 'c' },
        fieldClocks: { 3: hlc, b: hlc, a: hlc },
      }),
      makeRecord({ id: 'order', hlc, data: { b: 1, a: 2 }, fieldClocks: { a: hlc, b: hlc } }),
      makeRecord({ id: 'older', hlc, data: { b: 1, a: 2 }, fieldClocks: { b: hlc, a: older } }),
      makeRecord({ id: 'fewer', hlc, data: { b: 1, a: 2 }, fieldClocks: { b: hlc } }),
      makeRecord({ id: 'empty', hlc, data: {}, fieldClocks: {} }),
    ];
    const storage = open(file);
    await storage.transaction('readwrite', async (tx) => {
      for (const record of records) await tx.putRecord(record);
    });
    const read = await storage.transaction('readonly', (tx) => tx.listRecords('todos'));
    const byId = new Map(read.map((record) => [record.id, record]));
    for (const record of records) {
      expect(byId.get(record.id)).toEqual(record);
      expect(Object.keys(byId.get(record.id)!.fieldClocks)).toEqual(
        Object.keys(record.fieldClocks),
      );
    }
    await storage.close();
    const db = new Database(file, { readonly: true });
    const stored = Object.fromEntries(
      (
        db.prepare('SELECT id, field_clocks FROM tidesync_records').all() as {
          id: string;
          field_clocks: string;
        }[]
      ).map((row) => [row.id, row.field_clocks]),
    );
    db.close();
    expect(stored).toEqual({
      all: '0',
      order: '{"a":0,"b":0}',
      older: `{"b":0,"a":"${older}"}`,
      fewer: '{"b":0}',
      empty: '0',
    });
  });
});
