// Issue 17's layout upgrade: a store made before records kept their writer (no
// `writer_client_id`, `writer_seq` columns) opens, gets the columns in place, keeps every row
// readable, and sends those rows' echoes as before; writes after the upgrade record their writer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresServerStore, sqliteServerStore, type ServerStore } from 'tidesync/server';
import { call, makeServer, op, push } from './server-helpers.js';
import { postgresUrl, uniqueSchema } from './postgres-fixture.js';

interface OldStore {
  /** A store on the database, opened fresh each call. */
  open(): ServerStore;
  /** Turns the database into the layout of the release before: the writer columns go. */
  downgrade(): Promise<void>;
  columns(): Promise<string[]>;
  cleanup(): Promise<void>;
}

function sqliteKind(): OldStore {
  const dir = mkdtempSync(join(tmpdir(), 'tidesync-writer-'));
  const db = new Database(join(dir, 'sync.db'));
  return {
    open: () => sqliteServerStore(db),
    downgrade: async () => {
      db.exec('ALTER TABLE tidesync_records DROP COLUMN writer_seq');
      db.exec('ALTER TABLE tidesync_records DROP COLUMN writer_client_id');
    },
    columns: async () =>
      (
        db.prepare("SELECT name FROM pragma_table_info('tidesync_records')").all() as {
          name: string;
        }[]
      ).map((c) => c.name),
    cleanup: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresKind(url: string): OldStore {
  const schema = uniqueSchema();
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  return {
    open: () => postgresServerStore(pool, { schema }),
    downgrade: async () => {
      await pool.query(
        `ALTER TABLE "${schema}".tidesync_records DROP COLUMN writer_seq, DROP COLUMN writer_client_id`,
      );
    },
    columns: async () =>
      (
        await pool.query(
          `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'tidesync_records'`,
          [schema],
        )
      ).rows.map((row: { name: string }) => row.name),
    cleanup: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

const url = postgresUrl();
const kinds: [string, () => OldStore][] = [
  ['sqlite', sqliteKind],
  ...(url ? [['postgres', () => postgresKind(url)] as [string, () => OldStore]] : []),
];

describe.each(kinds)('writer columns on a store of the release before: %s', (_name, make) => {
  it('adds the columns on open; old rows stay readable and their echoes are sent', async () => {
    const old = make();
    try {
      const before = old.open();
      await push(makeServer(before), 'c1', [op({ seq: 1, id: 'old' })]);
      await before.close();
      await old.downgrade();
      expect(await old.columns()).not.toContain('writer_client_id');

      const store = old.open();
      const server = makeServer(store);
      await push(server, 'c1', [op({ seq: 2, id: 'new' })]);
      expect(await old.columns()).toEqual(
        expect.arrayContaining(['writer_client_id', 'writer_seq']),
      );
      const stored = await store.read((r) => r.getRecord('todos', 'old'));
      expect(stored?.id).toBe('old');
      expect(stored?.writerClientId ?? null).toBeNull();
      const answer = await call<{ changes: { id: string }[] }>(server, 'pull', {
        protocol: 1,
        clientId: 'c1',
        cursor: null,
        limit: 100,
        appliedSeq: 2,
      });
      // The row from before the upgrade has no writer: its echo comes; the new one does not.
      expect(answer.body.changes.map((c) => c.id)).toEqual(['old']);
      await store.close();
    } finally {
      await old.cleanup();
    }
  });
});
