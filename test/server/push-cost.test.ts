import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresServerStore, sqliteServerStore } from 'tidesync/server';
import type { ServerStore, SqliteServerDatabase } from 'tidesync/server';
import { makeServer, op, pullAll, push } from './server-helpers.js';
import { postgresUrl, uniqueSchema } from './postgres-fixture.js';

/** A store whose statements (SQLite) or round trips (Postgres) are counted. */
interface CountedStore {
  readonly store: ServerStore;
  readonly count: () => number;
  readonly cleanup: () => Promise<void>;
}

function countedSqlite(): CountedStore {
  const dir = mkdtempSync(join(tmpdir(), 'tidesync-cost-'));
  const db = new Database(join(dir, 'sync.db'));
  let statements = 0;
  const counted: SqliteServerDatabase = {
    exec: (sql) => {
      statements += 1;
      return db.exec(sql);
    },
    prepare: (sql) => {
      const stmt = db.prepare(sql);
      const count =
        <A extends unknown[], R>(fn: (...args: A) => R) =>
        (...args: A): R => {
          statements += 1;
          return fn(...args);
        };
      return {
        run: count((...a: unknown[]) => stmt.run(...a)),
        get: count((...a: unknown[]) => stmt.get(...a)),
        all: count((...a: unknown[]) => stmt.all(...a)),
      };
    },
  };
  return {
    store: sqliteServerStore(counted),
    count: () => statements,
    cleanup: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function countedPostgres(url: string): CountedStore {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const schema = uniqueSchema();
  let queries = 0;
  const store = postgresServerStore(
    {
      connect: async () => {
        const client = await pool.connect();
        return {
          query: (text: string, values?: unknown[]) => {
            queries += 1;
            return client.query(text, values);
          },
          release: (error?: Error | boolean) => client.release(error),
        };
      },
    },
    { schema },
  );
  return {
    store,
    count: () => queries,
    cleanup: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

const url = postgresUrl();
const kinds: { name: string; create: () => CountedStore; perExtraOp: number }[] = [
  // SQLite: one write per record and one per outcome; everything else once per batch.
  { name: 'sqlite', create: countedSqlite, perExtraOp: 2 },
];
if (url) kinds.push({ name: 'postgres', create: () => countedPostgres(url), perExtraOp: 0 });

describe.each(kinds)('push cost: $name', ({ create, perExtraOp }) => {
  let counted: CountedStore | undefined;
  afterEach(async () => {
    await counted?.store.close();
    await counted?.cleanup();
  });

  /** Statements or round trips of one push of `size` new ops (inserts, then updates). */
  async function costOf(server: ReturnType<typeof makeServer>, from: number, size: number) {
    const inserts = Array.from({ length: size }, (_, i) =>
      op({ seq: from + i, id: `r${from + i}` }),
    );
    let before = counted!.count();
    expect((await push(server, 'c1', inserts)).status).toBe(200);
    const insertCost = counted!.count() - before;
    const updates = inserts.map((o, i) =>
      op({
        seq: from + size + i,
        id: o.id,
        serverId: o.id,
        type: 'update',
        patch: { done: true },
        baseVersion: 1,
      }),
    );
    before = counted!.count();
    const answer = await push(server, 'c1', updates);
    expect(answer.body.results.every((r) => r.status === 'applied')).toBe(true);
    return { insertCost, updateCost: counted!.count() - before };
  }

  it('pays a fixed cost per batch, plus at most the per-op writes, whatever the batch size', async () => {
    counted = create();
    const server = makeServer(counted.store);
    await costOf(server, 1, 2); // opens the layout, binds the client
    const small = await costOf(server, 5, 5);
    const large = await costOf(server, 15, 50);
    expect(large.insertCost - small.insertCost).toBeLessThanOrEqual(45 * perExtraOp);
    expect(large.updateCost - small.updateCost).toBeLessThanOrEqual(45 * perExtraOp);
    expect(large.insertCost).toBeLessThan(50 * 3);
    const { changes } = await pullAll(server, 'c1');
    expect(changes).toHaveLength(57);
    expect(changes.every((c) => c.version === 2 && c.data['done'] === true)).toBe(true);
  });
});
