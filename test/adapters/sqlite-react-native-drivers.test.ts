// expoSqliteDriver() and opSqliteDriver() run the whole adapter conformance suite, each over a
// fake of its package's API implemented on better-sqlite3 (fixtures/fake-react-native-sqlite.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expoSqliteDriver, opSqliteDriver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { runStorageAdapterConformance } from '../../src/testing/conformance/storage-adapter-vitest.js';
import { makeRecord } from '../../src/testing/conformance/storage-fixtures.js';
import {
  FakeExpoSqliteDatabase,
  FakeOpSqliteDatabase,
} from './fixtures/fake-react-native-sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'tidesync-rn-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = (): string => join(dir, `db${files++}.sqlite`);

runStorageAdapterConformance('sqlite (expoSqliteDriver over a fake expo-sqlite)', () =>
  sqliteAdapter({ driver: expoSqliteDriver(new FakeExpoSqliteDatabase(tempFile())) }),
);
runStorageAdapterConformance('sqlite (opSqliteDriver over a fake op-sqlite)', () =>
  sqliteAdapter({ driver: opSqliteDriver(new FakeOpSqliteDatabase(tempFile())) }),
);

describe('React Native drivers', () => {
  it('bind bigint parameters as numbers (neither binding has bigint)', async () => {
    for (const driver of [
      expoSqliteDriver(new FakeExpoSqliteDatabase(':memory:')),
      opSqliteDriver(new FakeOpSqliteDatabase(':memory:')),
    ]) {
      await driver.exec('CREATE TABLE t (n INTEGER)');
      expect(await driver.run('INSERT INTO t VALUES (?)', [42n])).toEqual({ changes: 1 });
      expect(await driver.get('SELECT n FROM t WHERE n = ?', [42n])).toEqual({ n: 42 });
      expect(await driver.all('SELECT n FROM t')).toEqual([{ n: 42 }]);
      expect(await driver.get('SELECT n FROM t WHERE n = 0')).toBeUndefined();
      await driver.close?.();
    }
  });

  it('refuse a bigint beyond the safe integer range instead of rounding it', async () => {
    const driver = opSqliteDriver(new FakeOpSqliteDatabase(':memory:'));
    await expect(driver.run('SELECT ?', [2n ** 60n])).rejects.toMatchObject({
      code: 'STORAGE_FAILED',
      message: expect.stringContaining('1152921504606846976n'),
    });
    await driver.close?.();
  });

  it('op-sqlite: runs multi-statement SQL one statement per execute', async () => {
    const db = new FakeOpSqliteDatabase(':memory:');
    const driver = opSqliteDriver(db);
    await driver.exec(
      "CREATE TABLE a (v TEXT DEFAULT 'x;y');\n-- a comment; with a semicolon\nCREATE TABLE b (v TEXT);",
    );
    expect(db.statements).toEqual([
      "CREATE TABLE a (v TEXT DEFAULT 'x;y')",
      '-- a comment; with a semicolon\nCREATE TABLE b (v TEXT)',
    ]);
    await driver.close?.();
  });

  it('keep records across close and reopen of a file (expo-sqlite)', async () => {
    const file = tempFile();
    const first = sqliteAdapter({ driver: expoSqliteDriver(new FakeExpoSqliteDatabase(file)) });
    await first.open();
    const record = makeRecord({ id: 'r1', data: { title: 'kept' } });
    await first.transaction('readwrite', (tx) => tx.putRecord(record));
    await first.close();
    const second = sqliteAdapter({ driver: expoSqliteDriver(new FakeExpoSqliteDatabase(file)) });
    await second.open();
    expect(await second.transaction('readonly', (tx) => tx.listRecords('todos'))).toEqual([record]);
    await second.close();
  });
});
