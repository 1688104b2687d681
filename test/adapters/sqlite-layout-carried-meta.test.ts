import { copyFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSyncClient, httpTransport } from 'tidesync';
import type { StorageAdapter } from 'tidesync';
import type { SqliteDriver } from 'tidesync/adapters/sqlite';
import {
  SQLITE_LAYOUT_VERSION,
  betterSqlite3Driver,
  sqliteAdapter,
} from 'tidesync/adapters/sqlite';
import { makeOp, makeRecord } from '../../src/testing/conformance/storage-fixtures.js';
import { contents } from './sqlite-upgrade-helpers.js';
import { fixtureCollections, sqliteFiles } from './sqlite-layout-helpers.js';
import { collections } from '../client/helpers.js';

// Layout 5: the client's clock (`client.hlc`) and outbox counter (`outbox.seq`), which nearly
// every local write sets, are carried on the last op row instead of in their own meta rows.

const { tempFile, open } = sqliteFiles('tidesync-sqlite-carried-');

/** A driver that records every statement it runs while `on`. */
function countingDriver(file: string): { driver: SqliteDriver; statements: string[] } {
  const driver = betterSqlite3Driver(new Database(file));
  const statements: string[] = [];
  for (const name of ['exec', 'run', 'get', 'all'] as const) {
    const orig = driver[name].bind(driver) as (...args: unknown[]) => Promise<unknown>;
    (driver as unknown as Record<string, unknown>)[name] = (sql: string, params?: unknown) => {
      statements.push(sql.replace(/\s+/g, ' ').trim());
      return orig(sql, params);
    };
  }
  return { driver, statements };
}

const metaRows = (file: string): Record<string, string> => {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT key, value FROM tidesync_meta').all() as {
      key: string;
      value: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  } finally {
    db.close();
  }
};

// Layout 4 as released (frozen): no carried column; the clock and counter in meta rows.
const LAYOUT_4 = `
CREATE TABLE tidesync_records (collection TEXT NOT NULL, id TEXT NOT NULL, server_id TEXT,
  data TEXT NOT NULL, version INTEGER NOT NULL, hlc TEXT NOT NULL, field_clocks TEXT NOT NULL,
  updated_at INTEGER NOT NULL, accessed_at INTEGER NOT NULL DEFAULT 0, sync_status TEXT NOT NULL,
  deleted INTEGER NOT NULL, conflict TEXT, PRIMARY KEY (collection, id));
CREATE UNIQUE INDEX tidesync_records_server_id
  ON tidesync_records (collection, server_id) WHERE server_id IS NOT NULL;
CREATE TABLE tidesync_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE tidesync_ops (seq INTEGER PRIMARY KEY NOT NULL, op_id TEXT NOT NULL,
  collection TEXT NOT NULL, record_id TEXT NOT NULL, state TEXT NOT NULL, body TEXT NOT NULL);
CREATE UNIQUE INDEX tidesync_ops_id ON tidesync_ops (op_id);
CREATE INDEX tidesync_ops_record ON tidesync_ops (collection, record_id);
CREATE INDEX tidesync_records_conflicted
  ON tidesync_records (collection, sync_status) WHERE sync_status = 'conflicted';
PRAGMA user_version = 4;`;

/** A layout 4 file with three ops, counter 3, a clock and a cursor in meta rows. */
function layout4File(): string {
  const file = tempFile();
  const db = new Database(file);
  db.exec(LAYOUT_4);
  const insertOp = db.prepare(
    'INSERT INTO tidesync_ops (seq, op_id, collection, record_id, state, body) VALUES (?, ?, ?, ?, ?, ?)',
  );
  for (const seq of [1, 2, 3]) {
    const op = makeOp({ opId: `op${seq}`, seq, id: `r${seq}` });
    insertOp.run(op.seq, op.opId, op.collection, op.id, op.state, JSON.stringify(op));
  }
  const setMeta = db.prepare('INSERT INTO tidesync_meta (key, value) VALUES (?, ?)');
  setMeta.run('outbox.seq', '3');
  setMeta.run('client.hlc', '"0001700000000003-0000-old"');
  setMeta.run('pull.cursor', '"c-9"');
  db.close();
  return file;
}

const readMeta = (storage: StorageAdapter, ...keys: string[]) =>
  storage.transaction('readonly', async (tx) => {
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = await tx.getMeta(key);
    return out;
  });

describe('sqliteAdapter layout 5: the clock and outbox counter carried on the last op', () => {
  it('commits a client insert in 5 statements, none of them a metadata write or a second write of the op', async () => {
    const file = tempFile();
    const { driver, statements } = countingDriver(file);
    const client = await createSyncClient({
      collections,
      storage: sqliteAdapter({ driver }),
      transport: httpTransport({ url: 'http://127.0.0.1:9/sync' }),
      triggers: [],
    });
    const todos = client.collection('todos');
    await todos.insert({ title: 'warm up', done: false, projectId: null });
    statements.length = 0;
    for (let i = 0; i < 20; i++)
      await todos.insert({ title: `todo ${i}`, done: false, projectId: null });
    expect(statements.length / 20).toBe(5);
    expect(statements.filter((sql) => /^UPDATE tidesync_ops/.test(sql))).toEqual([]);
    expect(statements.filter((sql) => /tidesync_meta/.test(sql) && !/^SELECT/.test(sql))).toEqual(
      [],
    );
    expect(client.status.pendingOps).toBe(21);
    const pending = await client.pendingOps();
    await client.close();

    // Nothing of them in meta rows; a reopened client counts on and its clock moves forward.
    expect(Object.keys(metaRows(file)).sort()).not.toContain('outbox.seq');
    expect(Object.keys(metaRows(file)).sort()).not.toContain('client.hlc');
    const reopened = await createSyncClient({
      collections,
      storage: open(file),
      transport: httpTransport({ url: 'http://127.0.0.1:9/sync' }),
      triggers: [],
    });
    await reopened
      .collection('todos')
      .insert({ title: 'after reopen', done: false, projectId: null });
    const after = (await reopened.pendingOps()).at(-1)!;
    expect(after.seq).toBe(22);
    expect(after.hlc > pending.at(-1)!.hlc).toBe(true);
    await reopened.close();
  });

  it('upgrades a layout 4 file in place: counters kept, meta rows read until replaced', async () => {
    const file = layout4File();
    const storage = open(file);
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc', 'pull.cursor')).toEqual({
      'outbox.seq': 3,
      'client.hlc': '0001700000000003-0000-old',
      'pull.cursor': 'c-9',
    });
    const upgraded = contents(file);
    expect(upgraded).toMatchObject({ version: SQLITE_LAYOUT_VERSION });
    expect(SQLITE_LAYOUT_VERSION).toBe(7);
    // The upgrade moved nothing: the old meta rows are still there.
    expect(metaRows(file)).toMatchObject({ 'outbox.seq': '3' });

    await storage.transaction('readwrite', async (tx) => {
      const seq = ((await tx.getMeta<number>('outbox.seq')) ?? 0) + 1;
      await tx.putRecord(makeRecord({ id: 'r4' }));
      await tx.putOp(makeOp({ opId: 'op4', seq, id: 'r4' }));
      await tx.setMeta('outbox.seq', seq);
      await tx.setMeta('client.hlc', '0001700000000004-0000-new');
    });
    expect(metaRows(file)).toEqual({ 'pull.cursor': '"c-9"' });
    await storage.close();

    const again = open(file);
    expect(await readMeta(again, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': 4,
      'client.hlc': '0001700000000004-0000-new',
    });
    const ops = await again.transaction('readonly', (tx) => tx.listOps());
    expect(ops.map((op) => op.seq)).toEqual([1, 2, 3, 4]);
    await again.close();
  });

  it('upgrades a layout 4 file written by the real layout 4 code (4780071), then counts on', async () => {
    // Written by test/adapters/fixtures/make-sqlite-layout-fixture.ts at 4780071 (layout 4).
    const file = tempFile();
    copyFileSync(new URL('./fixtures/sqlite-layout-v4.db', import.meta.url), file);
    const old = metaRows(file);
    expect(old).toMatchObject({ 'outbox.seq': '14', 'outbox.pushSeq': '11' });
    const storage = open(file);
    const seen = await storage.transaction('readonly', async (tx) => ({
      meta: {
        seq: await tx.getMeta('outbox.seq'),
        hlc: await tx.getMeta('client.hlc'),
        pushSeq: await tx.getMeta('outbox.pushSeq'),
        cursor: await tx.getMeta('pull.cursor'),
      },
      ops: (await tx.listOps()).map((op) => [op.seq, op.state]),
    }));
    expect(seen).toEqual({
      meta: {
        seq: 14,
        hlc: JSON.parse(old['client.hlc']!),
        pushSeq: 11,
        cursor: JSON.parse(old['pull.cursor']!),
      },
      ops: [
        [10, 'dead'],
        [11, 'inflight'],
        [12, 'queued'],
        [13, 'queued'],
        [14, 'queued'],
      ],
    });
    await storage.close();

    const client = await createSyncClient({
      collections: fixtureCollections,
      storage: open(file),
      transport: httpTransport({ url: 'http://127.0.0.1:9/sync' }),
      triggers: [],
    });
    await client
      .collection('todos')
      .insert({ title: 'after upgrade', done: false, projectId: null });
    const added = (await client.pendingOps()).at(-1)!;
    expect(added.seq).toBe(15);
    expect(added.hlc > String(seen.meta.hlc)).toBe(true);
    await client.close();
    const rows = metaRows(file);
    expect(rows).not.toHaveProperty('outbox.seq');
    expect(rows).not.toHaveProperty('client.hlc');
    expect(rows).toMatchObject({ 'outbox.pushSeq': '11', 'pull.cursor': old['pull.cursor'] });
  });

  it('the values written with the first op are replaced when the transaction ends with others', async () => {
    const storage = open(tempFile());
    // The clock set differs from the op's, the counter from its seq.
    await storage.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'op1', seq: 1, id: 'r1', hlc: 'h1' }));
      await tx.setMeta('outbox.seq', 5);
      await tx.setMeta('client.hlc', 'h-later');
    });
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': 5,
      'client.hlc': 'h-later',
    });
    // A later op of the same transaction is last: it carries them, not the first.
    await storage.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'op6', seq: 6, id: 'r6', hlc: 'h6' }));
      await tx.putOp(makeOp({ opId: 'op7', seq: 7, id: 'r7', hlc: 'h7' }));
      await tx.setMeta('outbox.seq', 7);
      await tx.setMeta('client.hlc', 'h6');
    });
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': 7,
      'client.hlc': 'h6',
    });
    // The guessed op deleted again before commit: the values move to the op that is last.
    await storage.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'op8', seq: 8, id: 'r8', hlc: 'h8' }));
      await tx.setMeta('outbox.seq', 8);
      await tx.setMeta('client.hlc', 'h8');
      await tx.deleteOp('op8');
    });
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': 8,
      'client.hlc': 'h8',
    });
    // Only the clock set: the counter stays, and the op's guess (with its seq) is not kept.
    await storage.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'op9', seq: 9, id: 'r9', hlc: 'h9' }));
      await tx.setMeta('client.hlc', 'h9');
    });
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': 8,
      'client.hlc': 'h9',
    });
    // A state change of the last op in a transaction that sets nothing keeps the values.
    await storage.transaction('readwrite', (tx) =>
      tx.putOp(makeOp({ opId: 'op9', seq: 9, id: 'r9', hlc: 'h9', state: 'inflight' })),
    );
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': 8,
      'client.hlc': 'h9',
    });
    await storage.close();
  });

  it('a second open of an upgraded file changes nothing', async () => {
    const file = layout4File();
    const first = open(file);
    await first.open();
    await first.close();
    const upgraded = contents(file);
    const second = open(file);
    await second.open();
    await second.close();
    expect(contents(file)).toEqual(upgraded);
  });

  it('never moves the counter back when the last ops are acknowledged and deleted', async () => {
    const storage = open(tempFile());
    await storage.transaction('readwrite', async (tx) => {
      for (const seq of [1, 2, 3]) await tx.putOp(makeOp({ opId: `op${seq}`, seq, id: `r${seq}` }));
      await tx.setMeta('outbox.seq', 3);
      await tx.setMeta('client.hlc', 'h3');
    });
    // The last op goes first (the carried values must move to the op that is last now).
    await storage.transaction('readwrite', (tx) => tx.deleteOp('op3'));
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': 3,
      'client.hlc': 'h3',
    });
    // Then all of them: the values go to their meta rows.
    await storage.transaction('readwrite', async (tx) => {
      await tx.deleteOp('op1');
      await tx.deleteOp('op2');
    });
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': 3,
      'client.hlc': 'h3',
    });
    // And back onto the next op appended.
    await storage.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'op4', seq: 4 }));
      await tx.setMeta('outbox.seq', 4);
    });
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': 4,
      'client.hlc': 'h3',
    });
    await storage.close();
  });

  it('keeps the values when an op is appended or moved without setting them', async () => {
    const storage = open(tempFile());
    await storage.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'op1', seq: 1 }));
      await tx.setMeta('outbox.seq', 1);
      await tx.setMeta('client.hlc', 'h1');
    });
    // An op above the last one, the counter left as it was (the port allows it).
    await storage.transaction('readwrite', (tx) => tx.putOp(makeOp({ opId: 'op9', seq: 9 })));
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': 1,
      'client.hlc': 'h1',
    });
    // The last op moved below another one.
    await storage.transaction('readwrite', (tx) => tx.putOp(makeOp({ opId: 'op9', seq: 0 })));
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': 1,
      'client.hlc': 'h1',
    });
    await storage.close();
  });

  it('removes a carried value set to undefined, with and without ops', async () => {
    const storage = open(tempFile());
    await storage.transaction('readwrite', async (tx) => {
      await tx.setMeta('outbox.seq', 5);
      await tx.setMeta('client.hlc', 'h5');
    });
    await storage.transaction('readwrite', (tx) => tx.setMeta('outbox.seq', undefined));
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': undefined,
      'client.hlc': 'h5',
    });
    await storage.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'op1', seq: 1 }));
      await tx.setMeta('outbox.seq', 1);
    });
    await storage.transaction('readwrite', (tx) => tx.setMeta('client.hlc', undefined));
    expect(await readMeta(storage, 'outbox.seq', 'client.hlc')).toEqual({
      'outbox.seq': 1,
      'client.hlc': undefined,
    });
    await storage.close();
  });

  it('writes nothing of a transaction that fails after setting the values', async () => {
    const storage = open(tempFile());
    await storage.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'op1', seq: 1 }));
      await tx.setMeta('outbox.seq', 1);
    });
    await expect(
      storage.transaction('readwrite', async (tx) => {
        await tx.putOp(makeOp({ opId: 'op2', seq: 2 }));
        await tx.setMeta('outbox.seq', 2);
        await tx.deleteOp('op1');
        throw new Error('app failure');
      }),
    ).rejects.toThrow('app failure');
    expect(await readMeta(storage, 'outbox.seq')).toEqual({ 'outbox.seq': 1 });
    const ops = await storage.transaction('readonly', (tx) => tx.listOps());
    expect(ops.map((op) => op.opId)).toEqual(['op1']);
    await storage.close();
  });

  it('sees the values another connection to the same file carried', async () => {
    const file = tempFile();
    const a = open(file);
    const b = open(file);
    for (let seq = 1; seq <= 4; seq++) {
      const writer = seq % 2 === 1 ? a : b;
      await writer.transaction('readwrite', async (tx) => {
        const next = ((await tx.getMeta<number>('outbox.seq')) ?? 0) + 1;
        expect(next).toBe(seq);
        await tx.putOp(makeOp({ opId: `op${next}`, seq: next }));
        await tx.setMeta('outbox.seq', next);
      });
    }
    expect(await readMeta(a, 'outbox.seq')).toEqual({ 'outbox.seq': 4 });
    await a.close();
    await b.close();
  });
});
