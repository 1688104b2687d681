// Issue 19: a feed pull never reads the rows of a `sync: 'sets'` collection from the store
// (ChangeFilter.ownerCollections), on every store, old layouts included.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresServerStore, sqliteServerStore } from 'tidesync/server';
import type {
  ChangeFilter,
  FeedEntry,
  ServerStore,
  ServerStoreReader,
  SqliteServerDatabase,
} from 'tidesync/server';
import { sampleServerRecord } from '../../src/testing/conformance/server-store.js';
import { orderInsert, orders } from '../sets/set-helpers.js';
import { postgresUrl, uniqueSchema } from './postgres-fixture.js';
import type { PullAnswer } from './server-helpers.js';
import { call, collections, makeServer, op, pullAll, push, storeKinds } from './server-helpers.js';

const ids = (entries: FeedEntry[]) => entries.map((e) => e.record.id);
const withOrders = { collections: [...collections, orders] };

/** `store`, counting the entries its `listChanges` returns (the rows a pull reads). */
function counting(store: ServerStore): { store: ServerStore; read: () => number } {
  let read = 0;
  const wrapped: ServerStore = {
    kind: store.kind,
    open: () => store.open(),
    close: async () => {},
    transaction: (fn) => store.transaction(fn),
    read: (fn) =>
      store.read((reader) => {
        const spy: ServerStoreReader = {
          getEpoch: () => reader.getEpoch(),
          getHead: () => reader.getHead(),
          getRecord: (c, id) => reader.getRecord(c, id),
          getClient: (id) => reader.getClient(id),
          listChanges: async (after, limit, filter) => {
            const page = await reader.listChanges(after, limit, filter);
            read += page.length;
            return page;
          },
          countChanges: (after, filter) => reader.countChanges!(after, filter),
        };
        return fn(spy);
      }),
  };
  return { store: wrapped, read: () => read };
}

/** Alice's 40 orders (a sets collection) around two todos of hers and one of Bob's. */
async function seedOrders(store: ServerStore): Promise<void> {
  const server = makeServer(store, withOrders);
  const first = Array.from({ length: 20 }, (_, i) => orderInsert(i + 1, `o${i}`, { region: 'n' }));
  await push(server, 'alice-w', [...first, op({ seq: 21, id: 't1' })]);
  await push(server, 'bob-w', [op({ seq: 1, id: 'b1' })], { user: 'bob' });
  const later = Array.from({ length: 20 }, (_, i) =>
    orderInsert(i + 22, `o${i + 20}`, { region: 'n' }),
  );
  await push(server, 'alice-w', [...later, op({ seq: 42, id: 't2' })]);
}

describe.each(storeKinds())('feed pull and sync sets: $name', (kind) => {
  let store: ServerStore;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ store, cleanup } = await kind.create());
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('lists exactly the entries of the owner collections and the scoped ones', async () => {
    await store.transaction(async (tx) => {
      await tx.putRecord(sampleServerRecord({ id: 's1', collection: 'orders' }));
      await tx.putRecord(sampleServerRecord({ id: 'a1' }));
      await tx.putRecord(sampleServerRecord({ id: 'k1', ownerId: 'bob', collection: 'boards' }));
      await tx.putRecord(sampleServerRecord({ id: 's2', collection: 'orders', originId: 'x' }));
      await tx.putRecord(sampleServerRecord({ id: 'a2', originId: 'y' }));
    });
    const filter: ChangeFilter = {
      ownerId: 'alice',
      collections: ['boards'],
      ownerCollections: ['todos', 'boards'],
    };
    expect(ids(await store.read((r) => r.listChanges(0, 100, filter)))).toEqual(['a1', 'k1', 'a2']);
    const first = await store.read((r) => r.listChanges(0, 2, filter));
    expect(ids(first)).toEqual(['a1', 'k1']);
    const rest = await store.read((r) => r.listChanges(first[1]!.position, 2, filter));
    expect(ids(rest)).toEqual(['a2']);
    expect(await store.read((r) => r.countChanges!(0, filter))).toBe(3);
    expect(await store.read((r) => r.countChanges!(first[0]!.position, filter))).toBe(2);
  });

  it("reads no row of a `sync: 'sets'` collection, and counts none in `remaining`", async () => {
    await seedOrders(store);
    const spy = counting(store);
    const server = makeServer(spy.store, withOrders);
    const first = await call<PullAnswer & { remaining?: number }>(server, 'pull', {
      protocol: 1,
      clientId: 'alice-r',
      cursor: null,
      limit: 1,
      countRemaining: true,
    });
    expect(first.body.changes.map((c) => c.id)).toEqual(['t1']);
    expect(first.body.remaining).toBe(2);
    const rest = await pullAll(server, 'alice-r', first.body.cursor, 1);
    expect(rest.changes.map((c) => c.id)).toEqual(['t2']);
    // First page: t1 and the look-ahead row t2; second: the cursor's own row (t1, its check)
    // and t2. None of the 40 orders.
    expect(spy.read()).toBe(4);
  });
});

/** The index that keeps set collections out of feed pulls; a store made before it lacks it. */
const FEED_INDEX = 'tidesync_records_owner_collection_position';

/** A better-sqlite3 database that records the SQL text of every statement prepared on it. */
function recording(db: Database.Database): { db: SqliteServerDatabase; texts: string[] } {
  const texts: string[] = [];
  return {
    texts,
    db: {
      exec: (sql) => db.exec(sql),
      prepare: (sql) => {
        texts.push(sql);
        return db.prepare(sql);
      },
    },
  };
}

describe('feed pull and sync sets: an existing sqlite store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tidesync-feed-sets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gets the index on open, and the feed query reads only bounded ranges of it', async () => {
    const file = join(dir, 'sync.db');
    const db = new Database(file);
    await seedOrders(sqliteServerStore(db));
    db.exec(`DROP INDEX ${FEED_INDEX}`);
    db.close();

    const reopened = new Database(file);
    const { db: spied, texts } = recording(reopened);
    const server = makeServer(sqliteServerStore(spied), withOrders);
    expect((await pullAll(server, 'alice-r')).changes.map((c) => c.id)).toEqual(['t1', 't2']);
    const indexes = reopened
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index'")
      .all()
      .map((row) => (row as { name: string }).name);
    expect(indexes).toContain(FEED_INDEX);
    const feedQueries = texts.filter((t) => t.includes('owner_id = ?') && t.includes('LIMIT'));
    expect(feedQueries.length).toBeGreaterThan(0);
    for (const text of feedQueries) {
      const params = (text.match(/\?/g) ?? []).map(() => 'x');
      const plan = reopened
        .prepare(`EXPLAIN QUERY PLAN ${text}`)
        .all(...params)
        .map((row) => (row as { detail: string }).detail);
      const reads = plan.filter((d) => d.includes('tidesync_records'));
      // Each read of the records table is a search of a bounded index range (or a probe by
      // position), never a scan and never the owner's range over every collection.
      expect(reads.length).toBeGreaterThan(0);
      for (const detail of reads) {
        expect(detail).toMatch(/^SEARCH tidesync_records USING (COVERING )?INDEX /);
        expect(detail).not.toContain('tidesync_records_owner_position');
      }
      expect(reads.some((d) => d.includes(`${FEED_INDEX} (owner_id=? AND collection=?`))).toBe(
        true,
      );
    }
    reopened.close();
  });
});

const url = postgresUrl();
describe.runIf(url !== undefined)('feed pull and sync sets: an existing postgres store', () => {
  it('gets the index on open and pulls the feed without the orders', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const schema = uniqueSchema();
    try {
      await seedOrders(postgresServerStore(pool, { schema }));
      await pool.query(`DROP INDEX "${schema}".${FEED_INDEX}`);
      const server = makeServer(postgresServerStore(pool, { schema }), withOrders);
      expect((await pullAll(server, 'alice-r', null, 1)).changes.map((c) => c.id)).toEqual([
        't1',
        't2',
      ]);
      const { rows } = await pool.query(
        'SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
        [schema, 'tidesync_records'],
      );
      expect(rows.map((row: { indexname: string }) => row.indexname)).toContain(FEED_INDEX);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
  });
});

describe.runIf(url !== undefined)('feed pull and sync sets: postgres query plans', () => {
  it('stays on the (owner, collection) index for a user with many set-collection rows', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const schema = uniqueSchema();
    const t = `"${schema}".tidesync_records`;
    const statements: { text: string; values: unknown[] }[] = [];
    const spied = {
      connect: async () => {
        const client = await pool.connect();
        return {
          query: (text: string, values?: unknown[]) => {
            statements.push({ text, values: values ?? [] });
            return client.query(text, values);
          },
          release: (error?: Error | boolean) => client.release(error),
        };
      },
    };
    try {
      const store = postgresServerStore(spied, { schema });
      await store.open();
      // Alice: 100,000 orders (a sets collection), then Bob's 100,000 todos, then her 300 todos.
      // Estimated as independent columns, alice AND todos looks like thousands of rows.
      const insert = (owner: string, collection: string, from: number, to: number) =>
        pool.query(
          `INSERT INTO ${t} (collection, id, owner_id, version, data, hlc, field_clocks, deleted, updated_at, position)
           SELECT $1, $2 || g, $2, 1, jsonb_build_object('title', 'order ' || g || ' of region-1', 'region', 'region-1'),
             '000000000001000:000000:bench', '{"title": "000000000001000:000000:bench", "region": "000000000001000:000000:bench"}', false, 1, g
           FROM generate_series($3::bigint, $4::bigint) g`,
          [collection, owner, from, to],
        );
      await insert('alice', 'orders', 1, 100_000);
      await insert('bob', 'todos', 100_001, 200_000);
      await insert('alice', 'todos', 200_001, 200_300);
      await pool.query(`UPDATE "${schema}".tidesync_meta SET head = 200300`);
      await pool.query(`ANALYZE ${t}`);
      const server = makeServer(store, withOrders);
      statements.length = 0;
      const first = await call<PullAnswer & { remaining?: number }>(server, 'pull', {
        protocol: 1,
        clientId: 'alice-r',
        cursor: null,
        limit: 100,
        countRemaining: true,
      });
      expect(first.body.remaining).toBe(300);
      expect(first.body.changes).toHaveLength(100);
      const feed = statements.filter((s) => s.text.includes('owner_id = $'));
      expect(feed.length).toBe(2);
      for (const { text, values } of feed) {
        const { rows } = await pool.query(`EXPLAIN ${text}`, values);
        const plan = rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
        expect(plan).toContain('tidesync_records_owner_collection_position');
        // Alice's todos are an index range, never a filter over a walk of the whole feed (the
        // position index) or of the table; (empty collections may take any short index).
        expect(plan).not.toMatch(/Seq Scan/);
        const feedWalks = plan
          .split('->')
          .filter((node) => node.includes('using tidesync_records_position '));
        expect(feedWalks.filter((node) => /Filter: .*owner_id/.test(node))).toEqual([]);
      }
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
  });
});
