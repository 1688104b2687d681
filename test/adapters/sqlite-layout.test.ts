import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { SqliteDriver } from 'tidesync/adapters/sqlite';
import {
  SQLITE_LAYOUT_VERSION,
  betterSqlite3Driver,
  sqliteAdapter,
} from 'tidesync/adapters/sqlite';
import { makeOp, makeRecord } from '../../src/testing/conformance/storage-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tidesync-sqlite-layout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = (): string => join(dir, `db${files++}.sqlite`);

const V1 = readFileSync(new URL('./fixtures/sqlite-layout-v1.sql', import.meta.url), 'utf8');
// Layout 2 as released: layout 1 plus what its upgrade step added.
const V1_TO_V2 = `
ALTER TABLE tidesync_records ADD COLUMN accessed_at INTEGER NOT NULL DEFAULT 0;
UPDATE tidesync_records SET accessed_at = updated_at;
CREATE INDEX tidesync_records_accessed ON tidesync_records (collection, accessed_at);
CREATE INDEX tidesync_records_status ON tidesync_records (collection, sync_status);
PRAGMA user_version = 2;`;

const indexNames = (db: Database.Database): string[] =>
  db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'tidesync_%'")
    .all()
    .map((row) => (row as { name: string }).name)
    .sort();

// Layout 7: the outbox has no index (ops by id and by record come from the op index in memory).
const CURRENT_INDEXES = ['tidesync_records_conflicted', 'tidesync_records_server_id'];

const recordsTableSql = (db: Database.Database): string =>
  (
    db
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tidesync_records'")
      .get() as { sql: string }
  ).sql;

// Layout 2 to 3 as released: the outbox rebuilt keyed by seq, records indexes replaced by the
// partial index of conflicts; the records table stayed WITHOUT ROWID.
const LAYOUT_2_TO_3 = `
DROP INDEX IF EXISTS tidesync_records_accessed;
DROP INDEX IF EXISTS tidesync_records_status;
ALTER TABLE tidesync_ops RENAME TO tidesync_ops_v2;
DROP INDEX IF EXISTS tidesync_ops_seq;
DROP INDEX IF EXISTS tidesync_ops_record;
DROP INDEX IF EXISTS tidesync_ops_state;
CREATE TABLE tidesync_ops (seq INTEGER PRIMARY KEY NOT NULL, op_id TEXT NOT NULL,
  collection TEXT NOT NULL, record_id TEXT NOT NULL, state TEXT NOT NULL, body TEXT NOT NULL);
CREATE UNIQUE INDEX tidesync_ops_id ON tidesync_ops (op_id);
CREATE INDEX tidesync_ops_record ON tidesync_ops (collection, record_id);
DROP TABLE tidesync_ops_v2;
CREATE INDEX tidesync_records_conflicted
  ON tidesync_records (collection, sync_status) WHERE sync_status = 'conflicted';
PRAGMA user_version = 3;`;

function insertOldOp(db: Database.Database, op: ReturnType<typeof makeOp>): void {
  db.prepare(
    'INSERT INTO tidesync_ops (op_id, seq, collection, record_id, state, body) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(op.opId, op.seq, op.collection, op.id, op.state, JSON.stringify(op));
}

describe('sqliteAdapter table layout', () => {
  it('creates layout 7: records in a rowid table, the outbox keyed by seq and not indexed, conflicts indexed alone', async () => {
    const db = new Database(tempFile());
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(db) });
    await adapter.open();
    expect(SQLITE_LAYOUT_VERSION).toBe(7);
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    expect(indexNames(db)).toEqual(CURRENT_INDEXES);
    expect(recordsTableSql(db)).not.toMatch(/WITHOUT ROWID/i);
    await adapter.close();
  });

  it('upgrades a layout 3 records table in place to a rowid table, keeping every record', async () => {
    const file = tempFile();
    const old = new Database(file);
    old.exec(V1 + V1_TO_V2);
    old.close();
    // A layout 3 file as released: the layout 2 file after its layout 3 step.
    const db3 = new Database(file);
    db3.exec(LAYOUT_2_TO_3);
    const records = [
      makeRecord({ id: 'a', serverId: 'srv-a' }),
      makeRecord({ id: 'b', serverId: null, syncStatus: 'pending' }),
      makeRecord({ id: 'c', serverId: 'srv-c', syncStatus: 'conflicted' }),
      makeRecord({ id: 'd', collection: 'projects', serverId: 'srv-a' }),
    ];
    const insert = db3.prepare(
      `INSERT INTO tidesync_records (collection, id, server_id, data, version, hlc, field_clocks,
         updated_at, accessed_at, sync_status, deleted, conflict) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const r of records) {
      insert.run(
        r.collection,
        r.id,
        r.serverId,
        JSON.stringify(r.data),
        r.version,
        r.hlc,
        JSON.stringify(r.fieldClocks),
        r.updatedAt,
        r.accessedAt,
        r.syncStatus,
        r.deleted ? 1 : 0,
        null,
      );
    }
    expect(recordsTableSql(db3)).toMatch(/WITHOUT ROWID/i);
    db3.close();

    const db = new Database(file);
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(db) });
    await adapter.open();
    expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_LAYOUT_VERSION);
    expect(indexNames(db)).toEqual(CURRENT_INDEXES);
    expect(recordsTableSql(db)).not.toMatch(/WITHOUT ROWID/i);
    const seen = await adapter.transaction('readonly', async (tx) => ({
      todos: await tx.listRecords('todos'),
      projects: await tx.listRecords('projects'),
      bySrv: await tx.getRecordByServerId('todos', 'srv-c'),
      conflicted: await tx.queryRecords('todos', { where: { syncStatus: 'conflicted' } }),
    }));
    expect(seen.todos).toEqual(records.slice(0, 3));
    expect(seen.projects).toEqual([records[3]]);
    expect(seen.bySrv).toEqual(records[2]);
    expect(seen.conflicted.map((r) => r.id)).toEqual(['c']);
    // The server id index survived the rebuild: a second holder of srv-a is still refused.
    await expect(
      adapter.transaction('readwrite', (tx) =>
        tx.putRecord(makeRecord({ id: 'e', serverId: 'srv-a' })),
      ),
    ).rejects.toMatchObject({ code: 'STORAGE_FAILED', message: expect.stringContaining('srv-a') });
    await adapter.close();
  });

  it('upgrades a layout 1 database in place to the current layout, keeping its data', async () => {
    const file = tempFile();
    const old = new Database(file);
    old.exec(V1);
    const record = makeRecord({ id: 'old', serverId: 'srv-old', updatedAt: 1_650_000_000_000 });
    old
      .prepare(
        `INSERT INTO tidesync_records (collection, id, server_id, data, version, hlc, field_clocks,
           updated_at, sync_status, deleted, conflict) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.collection,
        record.id,
        record.serverId,
        JSON.stringify(record.data),
        record.version,
        record.hlc,
        JSON.stringify(record.fieldClocks),
        record.updatedAt,
        record.syncStatus,
        0,
        null,
      );
    const op = makeOp({ opId: 'old-op', seq: 4, id: 'old' });
    insertOldOp(old, op);
    old.prepare('INSERT INTO tidesync_meta VALUES (?, ?)').run('cursor', '"c-17"');
    old.close();

    const db = new Database(file);
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(db) });
    await adapter.open();
    expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_LAYOUT_VERSION);
    expect(indexNames(db)).toEqual(CURRENT_INDEXES);
    const seen = await adapter.transaction('readonly', async (tx) => ({
      record: await tx.getRecord('todos', 'old'),
      ops: await tx.listOps(),
      cursor: await tx.getMeta('cursor'),
    }));
    // Layout 1 had no accessedAt: the upgrade takes updatedAt as the best known access time.
    expect(seen.record).toEqual({ ...record, accessedAt: record.updatedAt });
    expect(seen.ops).toEqual([op]);
    expect(seen.cursor).toBe('c-17');
    await adapter.transaction('readwrite', (tx) => tx.putRecord(makeRecord({ id: 'new' })));
    await adapter.close();
  });

  it('upgrades a layout 2 outbox in place: every op kept, in seq order, by id and by record', async () => {
    const file = tempFile();
    const old = new Database(file);
    old.exec(V1 + V1_TO_V2);
    const ops = [
      makeOp({ opId: 'c', seq: 7, id: 'r2', state: 'dead' }),
      makeOp({ opId: 'a', seq: 2, id: 'r1', state: 'inflight', pushSeq: 1 }),
      makeOp({ opId: 'b', seq: 5, id: 'r1' }),
      makeOp({ opId: 'd', seq: 9, id: 'r3', collection: 'projects' }),
    ];
    for (const op of ops) insertOldOp(old, op);
    old.close();

    const db = new Database(file);
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(db) });
    await adapter.open();
    expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_LAYOUT_VERSION);
    expect(indexNames(db)).toEqual(CURRENT_INDEXES);
    const bySeq = [...ops].sort((x, y) => x.seq - y.seq);
    const seen = await adapter.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'e', seq: 10, id: 'r1' }));
      return {
        all: await tx.listOps(),
        r1: await tx.listOps({ collection: 'todos', recordId: 'r1' }),
        live: await tx.listOps({ states: ['queued', 'inflight'], limit: 2 }),
        c: await tx.getOp('c'),
      };
    });
    expect(seen.all.map((op) => op.opId)).toEqual([...bySeq.map((op) => op.opId), 'e']);
    expect(seen.all.slice(0, 4)).toEqual(bySeq);
    expect(seen.r1.map((op) => op.opId)).toEqual(['a', 'b', 'e']);
    expect(seen.live.map((op) => op.opId)).toEqual(['a', 'b']);
    expect(seen.c).toEqual(ops[0]);
    await adapter.close();
  });

  it('refuses to upgrade an outbox whose ops share a seq, leaving the database as it was', async () => {
    const file = tempFile();
    const old = new Database(file);
    old.exec(V1 + V1_TO_V2);
    insertOldOp(old, makeOp({ opId: 'a', seq: 3 }));
    insertOldOp(old, makeOp({ opId: 'b', seq: 3 }));
    old.close();
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) });
    await expect(adapter.open()).rejects.toMatchObject({
      code: 'STORAGE_FAILED',
      message: expect.stringContaining('seq 3'),
    });
    await adapter.close();
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(2);
    expect(check.prepare('SELECT op_id FROM tidesync_ops ORDER BY op_id').all()).toEqual([
      { op_id: 'a' },
      { op_id: 'b' },
    ]);
    check.close();
  });

  it('refuses a database written by a newer layout instead of touching it', async () => {
    const file = tempFile();
    const db = new Database(file);
    db.pragma('user_version = 9');
    db.close();
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) });
    await expect(adapter.open()).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    await adapter.close();
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(9);
    check.close();
  });

  it('names the seq when two different ops would share one, and writes neither', async () => {
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(new Database(':memory:')) });
    await adapter.open();
    await expect(
      adapter.transaction('readwrite', async (tx) => {
        await tx.putOp(makeOp({ opId: 'a', seq: 1 }));
        await tx.putOp(makeOp({ opId: 'b', seq: 1 }));
      }),
    ).rejects.toMatchObject({ code: 'STORAGE_FAILED', message: expect.stringContaining('seq 1') });
    expect(await adapter.transaction('readonly', (tx) => tx.listOps())).toEqual([]);
    await adapter.close();
  });

  it('moves an op to another seq or record when putOp changes them', async () => {
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(new Database(':memory:')) });
    await adapter.open();
    const seen = await adapter.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'a', seq: 1, id: 'r1' }));
      await tx.putOp(makeOp({ opId: 'b', seq: 2, id: 'r1' }));
      await tx.putOp(makeOp({ opId: 'a', seq: 3, id: 'r2', state: 'inflight', pushSeq: 1 }));
      return {
        all: await tx.listOps(),
        r1: await tx.listOps({ collection: 'todos', recordId: 'r1' }),
        r2: await tx.listOps({ collection: 'todos', recordId: 'r2' }),
      };
    });
    expect(seen.all.map((op) => [op.opId, op.seq])).toEqual([
      ['b', 2],
      ['a', 3],
    ]);
    expect(seen.r1.map((op) => op.opId)).toEqual(['b']);
    expect(seen.r2).toEqual([
      makeOp({ opId: 'a', seq: 3, id: 'r2', state: 'inflight', pushSeq: 1 }),
    ]);
    await adapter.close();
  });

  it('finds conflicted records through the partial index of conflicts', async () => {
    const db = new Database(':memory:');
    const inner = betterSqlite3Driver(db);
    const queries: string[] = [];
    const driver: SqliteDriver = {
      ...inner,
      all: (sql, params) => {
        queries.push(sql);
        return inner.all(sql, params);
      },
    };
    const adapter = sqliteAdapter({ driver });
    await adapter.open();
    const rows = await adapter.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 'a', syncStatus: 'conflicted' }));
      await tx.putRecord(makeRecord({ id: 'b', syncStatus: 'pending' }));
      return tx.queryRecords('todos', { where: { syncStatus: 'conflicted' } });
    });
    expect(rows.map((r) => r.id)).toEqual(['a']);
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN ${queries.at(-1)!}`)
      .all('todos')
      .map((row) => (row as { detail: string }).detail);
    expect(plan.join(' ')).toContain('tidesync_records_conflicted');
    await adapter.close();
  });

  it('reads the first ops of a collection in seq order without sorting the whole outbox', async () => {
    const db = new Database(':memory:');
    const inner = betterSqlite3Driver(db);
    const queries: { sql: string; params: readonly unknown[] }[] = [];
    const driver: SqliteDriver = {
      ...inner,
      all: (sql, params = []) => {
        queries.push({ sql, params });
        return inner.all(sql, params);
      },
    };
    const adapter = sqliteAdapter({ driver });
    await adapter.open();
    const first = await adapter.transaction('readwrite', async (tx) => {
      for (let seq = 1; seq <= 6; seq++) {
        const collection = seq % 2 === 0 ? 'todos' : 'projects';
        await tx.putOp(makeOp({ opId: `op-${seq}`, seq, collection, id: `r${seq}` }));
      }
      return tx.listOps({ states: ['queued'], collection: 'todos', limit: 2 });
    });
    expect(first.map((op) => op.seq)).toEqual([2, 4]);
    const last = queries.at(-1)!;
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN ${last.sql}`)
      .all(...last.params)
      .map((row) => (row as { detail: string }).detail)
      .join(' ');
    expect(plan).not.toContain('TEMP B-TREE');
    await adapter.close();
  });
});
