import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import initSqlJs from 'sql.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { SqliteDriver } from 'tidesync/adapters/sqlite';
import {
  SQLITE_LAYOUT_VERSION,
  betterSqlite3Driver,
  sqlJsDriver,
  sqliteAdapter,
} from 'tidesync/adapters/sqlite';
// Imported by path until src/testing/index.ts re-exports them as `tidesync/testing`.
import { runStorageAdapterConformance } from '../../src/testing/conformance/storage-adapter-vitest.js';
import { makeOp, makeRecord } from '../../src/testing/conformance/storage-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tidesync-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = (): string => join(dir, `db${files++}.sqlite`);

runStorageAdapterConformance('sqlite (better-sqlite3, file)', () =>
  sqliteAdapter({ driver: betterSqlite3Driver(new Database(tempFile())) }),
);
runStorageAdapterConformance('sqlite (better-sqlite3, :memory:)', () =>
  sqliteAdapter({ driver: betterSqlite3Driver(new Database(':memory:')) }),
);
const SQL = await initSqlJs();
runStorageAdapterConformance('sqlite (sql.js)', () =>
  sqliteAdapter({ driver: sqlJsDriver(new SQL.Database()) }),
);

describe('sqliteAdapter on a file', () => {
  it('keeps records, ops and meta across close and reopen with a new connection', async () => {
    const file = tempFile();
    const first = sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) });
    await first.open();
    const record = makeRecord({ id: 'r1', serverId: 's1', data: { title: 'persisted' } });
    const tombstone = makeRecord({ id: 'r2', deleted: true });
    const op = makeOp({ opId: 'op1', seq: 1, id: 'r1' });
    await first.transaction('readwrite', async (tx) => {
      await tx.putRecord(record);
      await tx.putRecord(tombstone);
      await tx.putOp(op);
      await tx.setMeta('cursor', { page: 3 });
    });
    await first.close();

    const second = sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) });
    await second.open();
    const seen = await second.transaction('readonly', async (tx) => ({
      records: await tx.listRecords('todos'),
      byServerId: await tx.getRecordByServerId('todos', 's1'),
      ops: await tx.listOps(),
      cursor: await tx.getMeta('cursor'),
    }));
    await second.close();
    expect(seen).toEqual({
      records: [record, tombstone],
      byServerId: record,
      ops: [op],
      cursor: { page: 3 },
    });
  });

  it('uses WAL with synchronous=NORMAL by default and FULL with durability "full"', async () => {
    const file = tempFile();
    const pragmas = async (durability?: 'full'): Promise<unknown[]> => {
      const db = new Database(file);
      const adapter = sqliteAdapter({
        driver: betterSqlite3Driver(db),
        ...(durability ? { durability } : {}),
      });
      await adapter.open();
      const result = [
        db.pragma('journal_mode', { simple: true }),
        db.pragma('synchronous', { simple: true }),
      ];
      await adapter.close();
      return result;
    };
    // synchronous: 1 = NORMAL, 2 = FULL
    expect(await pragmas()).toEqual(['wal', 1]);
    expect(await pragmas('full')).toEqual(['wal', 2]);
  });

  it('upgrades a layout 1 database in place to the current layout, keeping its data', async () => {
    const file = tempFile();
    const old = new Database(file);
    old.exec(readFileSync(new URL('./fixtures/sqlite-layout-v1.sql', import.meta.url), 'utf8'));
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
    old
      .prepare('INSERT INTO tidesync_ops VALUES (?, ?, ?, ?, ?, ?)')
      .run(op.opId, op.seq, op.collection, op.id, op.state, JSON.stringify(op));
    old.prepare('INSERT INTO tidesync_meta VALUES (?, ?)').run('cursor', '"c-17"');
    old.close();

    const db = new Database(file);
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(db) });
    await adapter.open();
    expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_LAYOUT_VERSION);
    expect(SQLITE_LAYOUT_VERSION).toBe(2);
    const indexes = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'tidesync_%'")
      .all()
      .map((row) => (row as { name: string }).name);
    expect(indexes).toContain('tidesync_records_accessed');
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
});

describe('sqliteAdapter', () => {
  it('pushes equality filters on data fields down to SQL with json_extract', async () => {
    const inner = betterSqlite3Driver(new Database(':memory:'));
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
      await tx.putRecord(makeRecord({ id: 'a', data: { tag: 'x', n: 1 } }));
      await tx.putRecord(makeRecord({ id: 'b', data: { tag: 'y', n: 1 } }));
      return tx.queryRecords('todos', { where: { tag: 'x', n: { gt: 0 } } });
    });
    await adapter.close();
    expect(rows.map((r) => r.id)).toEqual(['a']);
    expect(queries.at(-1)).toContain("json_extract(data, '$.tag') IN (?)");
  });

  it('rejects a missing driver or a bad option with INVALID_OPTION before any I/O', () => {
    const driver = betterSqlite3Driver(new Database(':memory:'));
    expect(() => sqliteAdapter({} as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => sqliteAdapter({ driver, durability: 'fast' as never })).toThrow(/durability/);
    expect(() => sqliteAdapter({ driver, busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs/);
  });

  it('names the duplicate server id when two records of a collection would share one', async () => {
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(new Database(':memory:')) });
    await adapter.open();
    await expect(
      adapter.transaction('readwrite', async (tx) => {
        await tx.putRecord(makeRecord({ id: 'a', serverId: 'same' }));
        await tx.putRecord(makeRecord({ id: 'b', serverId: 'same' }));
      }),
    ).rejects.toMatchObject({ code: 'STORAGE_FAILED', message: expect.stringContaining('same') });
    expect(await adapter.transaction('readonly', (tx) => tx.listRecords('todos'))).toEqual([]);
    await adapter.close();
  });
});
