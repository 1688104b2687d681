import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresServerStore, sqliteServerStore } from 'tidesync/server';
import type { FeedEntry, ServerStore, ServerStoreReader } from 'tidesync/server';
import { sampleServerRecord } from '../../src/testing/conformance/server-store.js';
import { makeServer, op, pullAll, push, storeKinds } from './server-helpers.js';
import { postgresUrl, uniqueSchema } from './postgres-fixture.js';

const ids = (entries: FeedEntry[]) => entries.map((e) => e.record.id);

describe.each(storeKinds())('feed filter: $name', (kind) => {
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

  it("lists only the owner's records and the listed collections, by position, each once", async () => {
    await store.transaction(async (tx) => {
      await tx.putRecord(sampleServerRecord({ id: 'a1', ownerId: 'alice' }));
      await tx.putRecord(sampleServerRecord({ id: 'b1', ownerId: 'bob' }));
      await tx.putRecord(sampleServerRecord({ id: 'k1', ownerId: 'bob', collection: 'boards' }));
      await tx.putRecord(sampleServerRecord({ id: 'k2', ownerId: 'alice', collection: 'boards' }));
      await tx.putRecord(sampleServerRecord({ id: 'a2', ownerId: 'alice' }));
    });
    // A rewrite moves a record to the end of the feed; its old position is not listed again.
    await store.transaction(async (tx) => {
      await tx.getRecord('todos', 'a1');
      await tx.putRecord(sampleServerRecord({ id: 'a1', ownerId: 'alice', version: 2 }));
      await tx.putRecord(sampleServerRecord({ id: 'b2', ownerId: 'bob' }));
    });
    const filter = { ownerId: 'alice', collections: ['boards'] };
    const all = await store.read((r) => r.listChanges(0, 100, filter));
    expect(ids(all)).toEqual(['k1', 'k2', 'a2', 'a1']);
    expect(all.map((e) => e.position)).toEqual(
      [...all.map((e) => e.position)].sort((x, y) => x - y),
    );
    // Pages chain: from each page's last position, the rest follows, limits honoured.
    const first = await store.read((r) => r.listChanges(0, 2, filter));
    expect(ids(first)).toEqual(['k1', 'k2']);
    const rest = await store.read((r) => r.listChanges(first[1]!.position, 2, filter));
    expect(ids(rest)).toEqual(['a2', 'a1']);
    const ownOnly = await store.read((r) =>
      r.listChanges(0, 100, { ownerId: 'bob', collections: [] }),
    );
    expect(ids(ownOnly)).toEqual(['b1', 'k1', 'b2']);
    expect(ids(await store.read((r) => r.listChanges(0, 100)))).toEqual([
      'b1',
      'k1',
      'k2',
      'a2',
      'a1',
      'b2',
    ]);
  });

  it("reads only the pulling user's changes from the store, however many others write", async () => {
    const server = makeServer(store);
    await push(
      server,
      'bob-1',
      Array.from({ length: 60 }, (_, i) => op({ seq: i + 1, id: `b${i}` })),
      {
        user: 'bob',
      },
    );
    await push(server, 'alice-1', [op({ seq: 1, id: 'mine' })]);
    await push(server, 'bob-1', [op({ seq: 61, id: 'late' })], { user: 'bob' });
    let read = 0;
    const counting: ServerStore = {
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
          };
          return fn(spy);
        }),
    };
    const { changes } = await pullAll(makeServer(counting), 'alice-1', null, 10);
    expect(changes.map((c) => c.id)).toEqual(['mine']);
    expect(read).toBe(1);
  });
});

/** Drops the pull indexes, as a store made before they existed lacks them. */
const PULL_INDEXES = ['tidesync_records_owner_position', 'tidesync_records_collection_position'];

describe('feed filter: layout migration of an existing sqlite store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tidesync-migrate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the pull indexes in place on open and keeps every record', async () => {
    const file = join(dir, 'sync.db');
    const db = new Database(file);
    const old = makeServer(sqliteServerStore(db));
    await push(old, 'c1', [op({ seq: 1, id: 'a' }), op({ seq: 2, id: 'b' })]);
    await push(old, 'c2', [op({ seq: 1, id: 'x' })], { user: 'bob' });
    for (const index of PULL_INDEXES) db.exec(`DROP INDEX ${index}`);
    db.close();

    const reopened = new Database(file);
    const server = makeServer(sqliteServerStore(reopened));
    expect((await pullAll(server, 'c1')).changes.map((c) => c.id)).toEqual(['a', 'b']);
    const indexes = reopened
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tidesync_records'",
      )
      .all()
      .map((row) => (row as { name: string }).name);
    expect(indexes).toEqual(expect.arrayContaining(PULL_INDEXES));
    const plan = reopened
      .prepare(
        'EXPLAIN QUERY PLAN SELECT * FROM tidesync_records WHERE owner_id = ? AND position > ? ORDER BY position LIMIT ?',
      )
      .all('alice', 0, 10)
      .map((row) => (row as { detail: string }).detail)
      .join(' ');
    expect(plan).toContain('tidesync_records_owner_position');
    expect(
      (await pullAll(server, 'c2', null, 100, { user: 'bob' })).changes.map((c) => c.id),
    ).toEqual(['x']);
    reopened.close();
  });
});

const url = postgresUrl();
describe.runIf(url !== undefined)(
  'feed filter: layout migration of an existing postgres store',
  () => {
    it('adds the pull indexes in place on open and keeps every record', async () => {
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      const schema = uniqueSchema();
      try {
        const old = makeServer(postgresServerStore(pool, { schema }));
        await push(old, 'c1', [op({ seq: 1, id: 'a' }), op({ seq: 2, id: 'b' })]);
        await push(old, 'c2', [op({ seq: 1, id: 'x' })], { user: 'bob' });
        for (const index of PULL_INDEXES) await pool.query(`DROP INDEX "${schema}".${index}`);

        const server = makeServer(postgresServerStore(pool, { schema }));
        expect((await pullAll(server, 'c1')).changes.map((c) => c.id)).toEqual(['a', 'b']);
        const { rows } = await pool.query(
          'SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
          [schema, 'tidesync_records'],
        );
        expect(rows.map((row: { indexname: string }) => row.indexname)).toEqual(
          expect.arrayContaining(PULL_INDEXES),
        );
        expect(
          (await pullAll(server, 'c2', null, 100, { user: 'bob' })).changes.map((c) => c.id),
        ).toEqual(['x']);
      } finally {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await pool.end();
      }
    });
  },
);
