import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { SqliteDriver } from 'tidesync/adapters/sqlite';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { makeRecord } from '../../src/testing/conformance/storage-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tidesync-sqlite-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = (): string => join(dir, `db${files++}.sqlite`);

/** A driver that reports each failed `BEGIN IMMEDIATE`, to act when the adapter meets a lock. */
function observedDriver(db: Database.Database, onBeginFailed: () => void): SqliteDriver {
  const inner = betterSqlite3Driver(db);
  return {
    ...inner,
    exec: async (sql) => {
      try {
        await inner.exec(sql);
      } catch (error) {
        if (sql === 'BEGIN IMMEDIATE') onBeginFailed();
        throw error;
      }
    },
  };
}

describe('sqliteAdapter when another connection holds the write lock', () => {
  it('waits out a short lock and then commits the write', async () => {
    const file = tempFile();
    let busyAttempts = 0;
    const blocker = new Database(file);
    const adapter = sqliteAdapter({
      driver: observedDriver(new Database(file), () => {
        busyAttempts++;
        // The lock is released once the adapter has met it at least once.
        if (busyAttempts === 1) blocker.exec('COMMIT');
      }),
    });
    await adapter.open();
    blocker.exec('BEGIN IMMEDIATE');
    await adapter.transaction('readwrite', (tx) => tx.putRecord(makeRecord({ id: 'r1' })));
    expect(busyAttempts).toBe(1);
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT id FROM tidesync_records').all()).toEqual([{ id: 'r1' }]);
    check.close();
    blocker.close();
    await adapter.close();
  });

  it('rejects with a retryable STORAGE_BUSY after busyTimeoutMs and writes nothing', async () => {
    const file = tempFile();
    let busyAttempts = 0;
    const adapter = sqliteAdapter({
      driver: observedDriver(new Database(file), () => busyAttempts++),
      busyTimeoutMs: 150,
    });
    await adapter.open();
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    let ran = false;
    const error = await adapter
      .transaction('readwrite', async (tx) => {
        ran = true;
        await tx.putRecord(makeRecord({ id: 'r1' }));
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'StorageError', code: 'STORAGE_BUSY', retryable: true });
    expect((error as Error).message).toContain('busyTimeoutMs');
    expect(busyAttempts).toBeGreaterThan(1);
    expect(ran).toBe(false);
    blocker.exec('ROLLBACK');
    blocker.close();
    // The adapter works again once the lock is gone, and the failed write left nothing.
    const rows = await adapter.transaction('readwrite', async (tx) => {
      await tx.setMeta('after', true);
      return tx.listRecords('todos');
    });
    expect(rows).toEqual([]);
    await adapter.close();
  });
});

describe('sqliteAdapter when the disk is full', () => {
  it('rejects with STORAGE_QUOTA_EXCEEDED, rolls the transaction back and stays usable', async () => {
    const file = tempFile();
    const db = new Database(file);
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(db) });
    await adapter.open();
    await adapter.transaction('readwrite', (tx) => tx.putRecord(makeRecord({ id: 'small' })));
    // A page budget just above the current size plays the role of a full disk.
    const pages = Number(db.pragma('page_count', { simple: true }));
    db.pragma(`max_page_count = ${pages + 2}`);
    const big = 'x'.repeat(200_000);
    const error = await adapter
      .transaction('readwrite', async (tx) => {
        await tx.setMeta('before-big', 1);
        await tx.putRecord(makeRecord({ id: 'big', data: { big } }));
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'StorageError', code: 'STORAGE_QUOTA_EXCEEDED' });
    const seen = await adapter.transaction('readonly', async (tx) => ({
      ids: (await tx.listRecords('todos')).map((r) => r.id),
      meta: await tx.getMeta('before-big'),
    }));
    expect(seen).toEqual({ ids: ['small'], meta: undefined });
    await adapter.transaction('readwrite', (tx) => tx.setMeta('still', 'works'));
    expect(await adapter.transaction('readonly', (tx) => tx.getMeta('still'))).toBe('works');
    await adapter.close();
  });
});
