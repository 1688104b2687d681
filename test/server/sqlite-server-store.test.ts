import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteServerStore } from 'tidesync/server';
import { runServerStoreConformance } from '../../src/testing/conformance/server-store.js';

runServerStoreConformance('sqlite (better-sqlite3, file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidesync-server-'));
  const file = join(dir, 'sync.db');
  const dbs = [new Database(file)];
  dbs[0]!.pragma('journal_mode = WAL');
  return {
    store: sqliteServerStore(dbs[0]!),
    reopen: async () => {
      const db = new Database(file);
      dbs.push(db);
      return sqliteServerStore(db);
    },
    cleanup: async () => {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
