import { copyFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSyncClient, httpTransport } from 'tidesync';
import type { OutboxOp, StoredRecord } from 'tidesync';
import { SQLITE_LAYOUT_VERSION } from 'tidesync/adapters/sqlite';
import { makeOp, makeRecord } from '../../src/testing/conformance/storage-fixtures.js';
import { contents } from './sqlite-upgrade-helpers.js';
import { fixtureCollections, sqliteFiles } from './sqlite-layout-helpers.js';

// Layout 6: field clocks equal to the row's `hlc` are stored as `0`, and op bodies leave out
// what the op's columns hold (collection, record id, op id, seq, state). Older rows hold full
// values and read back unchanged.

const { tempFile, open } = sqliteFiles('tidesync-sqlite-compact-');

interface RawOp {
  seq: number;
  op_id: string;
  body: string;
}
function rawRows(file: string): { ops: RawOp[]; clocks: Record<string, string> } {
  const db = new Database(file, { readonly: true });
  try {
    const ops = db
      .prepare('SELECT seq, op_id, body FROM tidesync_ops ORDER BY seq')
      .all() as RawOp[];
    const records = db.prepare('SELECT id, field_clocks FROM tidesync_records').all() as {
      id: string;
      field_clocks: string;
    }[];
    return { ops, clocks: Object.fromEntries(records.map((r) => [r.id, r.field_clocks])) };
  } finally {
    db.close();
  }
}

const HLC = '0001700000000005-0000-client1';
const OLDER = '0001700000000001-0000-client1';

describe('SQLite layout 6: compact rows', () => {
  it('stores clocks equal to the row hlc as 0 and op bodies without their columns, and reads back exactly', async () => {
    const file = tempFile();
    const record = makeRecord({
      id: 'r1',
      hlc: HLC,
      fieldClocks: { title: HLC, done: OLDER, priority: HLC },
    });
    const op = makeOp({
      opId: 'op-1',
      seq: 7,
      id: 'r1',
      hlc: HLC,
      fieldClocks: { title: HLC, done: OLDER },
    });
    const storage = open(file);
    await storage.transaction('readwrite', async (tx) => {
      await tx.putRecord(record);
      await tx.putOp(op);
    });
    const read = await storage.transaction('readonly', async (tx) => ({
      record: await tx.getRecord('todos', 'r1'),
      op: await tx.getOp('op-1'),
      listed: await tx.listOps({ collection: 'todos', recordId: 'r1' }),
    }));
    expect(read).toEqual({ record, op, listed: [op] });
    await storage.close();

    const raw = rawRows(file);
    expect(JSON.parse(raw.clocks['r1']!)).toEqual({ title: 0, done: OLDER, priority: 0 });
    // Layout 7 writes the body as an array of the fields its columns do not hold (fieldClocks 8th).
    const body = JSON.parse(raw.ops[0]!.body) as unknown[];
    expect(body).toHaveLength(12);
    for (const key of ['collection', 'id', 'opId', 'seq', 'state']) {
      expect(raw.ops[0]!.body).not.toContain(`"${key}"`);
    }
    expect(body[7]).toEqual({ title: 0, done: OLDER });
    expect(raw.ops[0]!.body.length).toBeLessThan(JSON.stringify(op).length - 90);
  });

  it('reads ops back in the key order the outbox builds them, state changes and moves included', async () => {
    const storage = open(tempFile());
    const op = makeOp({ opId: 'op-1', seq: 1, id: 'r1' });
    await storage.transaction('readwrite', async (tx) => {
      await tx.putOp(op);
      await tx.putOp({ ...op, state: 'inflight', pushSeq: 1, attempts: 1 });
      await tx.putOp(makeOp({ opId: 'op-2', seq: 2, id: 'r2', fieldClocks: {} }));
      // A move: another seq and record (the rarer update of indexed columns).
      await tx.putOp(makeOp({ opId: 'op-2', seq: 3, id: 'r3', collection: 'projects' }));
    });
    const ops = await storage.transaction('readonly', (tx) => tx.listOps());
    expect(ops).toEqual([
      { ...op, state: 'inflight', pushSeq: 1, attempts: 1 },
      makeOp({ opId: 'op-2', seq: 3, id: 'r3', collection: 'projects' }),
    ]);
    expect(Object.keys(ops[0]!)).toEqual([
      'collection',
      'id',
      'serverId',
      'type',
      'data',
      'patch',
      'changedFields',
      'baseVersion',
      'hlc',
      'fieldClocks',
      'opId',
      'seq',
      'pushSeq',
      'state',
      'attempts',
      'createdAt',
      'error',
    ]);
    await storage.close();
  });

  it('keeps op fields it does not know, and clocks under awkward keys', async () => {
    const storage = open(tempFile());
    const op = { ...makeOp({ opId: 'op-x', seq: 1 }), futureField: { kept: true } } as OutboxOp;
    const clocks = JSON.parse(`{"__proto__":"${HLC}","title":"${HLC}"}`) as Record<string, string>;
    const record: StoredRecord = makeRecord({ id: 'r1', hlc: HLC, fieldClocks: clocks });
    await storage.transaction('readwrite', async (tx) => {
      await tx.putOp(op);
      await tx.putRecord(record);
    });
    const read = await storage.transaction('readonly', async (tx) => ({
      op: await tx.getOp('op-x'),
      record: await tx.getRecord('todos', 'r1'),
    }));
    expect(read.op).toEqual(op);
    expect(Object.getPrototypeOf(read.record!.fieldClocks)).toBe(Object.prototype);
    expect(Object.keys(read.record!.fieldClocks)).toEqual(['__proto__', 'title']);
    expect(read.record!.fieldClocks['title']).toBe(HLC);
    await storage.close();
  });

  it('upgrades a layout 5 file written by the real layout 5 code (1bab952): nothing moves, old rows read as before', async () => {
    // Written by test/adapters/fixtures/make-sqlite-layout-fixture.ts at 1bab952 (layout 5).
    const file = tempFile();
    copyFileSync(new URL('./fixtures/sqlite-layout-v5.db', import.meta.url), file);
    const before = contents(file) as { version: number; rows: unknown };
    expect(before.version).toBe(5);
    const oldOps = rawRows(file).ops.map((row) => JSON.parse(row.body) as OutboxOp);
    expect(oldOps.map((op) => [op.seq, op.state])).toEqual([
      [10, 'dead'],
      [11, 'inflight'],
      [12, 'queued'],
      [13, 'queued'],
      [14, 'queued'],
    ]);

    const storage = open(file);
    const ops = await storage.transaction('readonly', (tx) => tx.listOps());
    expect(ops).toEqual(oldOps);
    expect(await storage.transaction('readonly', (tx) => tx.getMeta('outbox.seq'))).toBe(14);
    await storage.close();
    const after = contents(file) as { version: number; rows: unknown };
    expect(after.version).toBe(SQLITE_LAYOUT_VERSION);
    expect(after.rows).toEqual(before.rows);

    const client = await createSyncClient({
      collections: fixtureCollections,
      storage: open(file),
      transport: httpTransport({ url: 'http://127.0.0.1:9/sync' }),
      triggers: [],
    });
    const mine = await client.collection('todos').find({ orderBy: [['title', 'asc']] });
    expect(mine.map((r) => r.title)).toContain('offline-new');
    await client
      .collection('todos')
      .insert({ title: 'after upgrade', done: false, projectId: null });
    const pending = await client.pendingOps();
    expect(pending.map((op) => op.seq)).toEqual([11, 12, 13, 14, 15]);
    expect(pending.slice(0, 4)).toEqual(oldOps.slice(1));
    await client.close();
    const added = rawRows(file).ops.at(-1)!;
    expect(added.seq).toBe(15);
    expect(JSON.parse(added.body)).not.toHaveProperty('opId');
  });
});
