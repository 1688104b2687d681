import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import initSqlJs from 'sql.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { SqliteDriver } from 'tidesync/adapters/sqlite';
import { betterSqlite3Driver, sqlJsDriver, sqliteAdapter } from 'tidesync/adapters/sqlite';
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

  it.each([
    ['better-sqlite3', () => betterSqlite3Driver(new Database(':memory:'))],
    ['sql.js', () => sqlJsDriver(new SQL.Database())],
  ] as const)(
    'reads the records of many server ids at once, by collection, on %s',
    async (_, driver) => {
      const adapter = sqliteAdapter({ driver: driver() });
      await adapter.open();
      const found = await adapter.transaction('readwrite', async (tx) => {
        for (let i = 0; i < 250; i += 2) {
          await tx.putRecord(makeRecord({ id: `l${i}`, serverId: `s${i}` }));
        }
        await tx.putRecord(makeRecord({ id: 'p', collection: 'projects', serverId: 's1' }));
        await tx.putRecord(makeRecord({ id: 'local-only', serverId: null }));
        const batch = tx as typeof tx & {
          getRecordsByServerIds(c: string, ids: readonly string[]): Promise<Map<string, unknown>>;
        };
        const ids = Array.from({ length: 250 }, (_unused, i) => `s${i}`);
        return batch.getRecordsByServerIds('todos', ['local-only', ...ids]);
      });
      // Every even id across three statements of 100; odd ids are absent (s1 is a project's).
      expect([...found.keys()].sort()).toEqual(
        Array.from({ length: 125 }, (_unused, i) => `s${i * 2}`).sort(),
      );
      expect(found.get('s248')).toEqual(makeRecord({ id: 'l248', serverId: 's248' }));
      await adapter.close();
    },
  );
});
