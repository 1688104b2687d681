// Concurrent updates of one existing record, the case the batched server stores must still
// serialise: a push batch preloads its records through TransactionCache and writes them once at
// commit, so a record read by one batch while another batch changes it is a lost update unless
// the store locks it (Postgres: FOR UPDATE in the preload; SQLite: BEGIN IMMEDIATE; memory: the
// store's mutex). Every applied update must get its own version, and the last one must hold
// every field written by a field-merged update.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresServerStore, type SyncServer } from 'tidesync/server';
import { postgresUrl, uniqueSchema } from './postgres-fixture.js';
import { NOW, hlcAt, makeServer, op, pullAll, push, storeKinds } from './server-helpers.js';

const WRITERS = 8;

/** Pushes one update per writer client, all at once, spread over `servers`. */
async function racingUpdates(servers: readonly SyncServer[], collection: string, id: string) {
  return Promise.all(
    Array.from({ length: WRITERS }, (_, i) =>
      push(servers[i % servers.length]!, `writer-${collection}-${i}`, [
        op({
          seq: 1,
          collection,
          id,
          serverId: id,
          type: 'update',
          baseVersion: 1,
          hlc: hlcAt(NOW - 500 + i, `w${i}`),
          fieldClocks: { [`f${i}`]: hlcAt(NOW - 500 + i, `w${i}`) },
          data: undefined,
          patch: collection === 'notes' ? { body: `b${i}` } : { title: `t${i}` },
        }),
      ]),
    ),
  );
}

/** Runs the race; returns how many updates got a terminal outcome (every one of them). */
async function checkRace(servers: readonly SyncServer[], collection: string): Promise<number> {
  const id = `${collection}-shared`;
  const data = collection === 'notes' ? { title: 't', body: 'b' } : { title: 't', done: false };
  const created = await push(servers[0]!, `creator-${collection}`, [
    op({ seq: 1, collection, id, data }),
  ]);
  expect(created.body.results[0]).toMatchObject({ status: 'applied', version: 1 });

  const answers = await racingUpdates(servers, collection, id);
  expect(answers.map((a) => a.status)).toEqual(Array<number>(WRITERS).fill(200));
  const results = answers.map((a) => a.body.results[0]!);
  const applied = results.filter((r) => r.status === 'applied');
  // Each update that was applied made a version of its own: two batches that both read
  // version 1 and both wrote version 2 would be a lost update.
  const versions = applied
    .map((r) => (r.status === 'applied' ? r.version : 0))
    .sort((a, b) => a - b);
  expect(versions).toEqual(Array.from({ length: applied.length }, (_, i) => i + 2));
  expect(applied.length + results.filter((r) => r.status === 'conflict').length).toBe(WRITERS);

  const { changes } = await pullAll(servers[1 % servers.length]!, `reader-${collection}`);
  const stored = changes.filter((c) => c.id === id);
  expect(stored).toHaveLength(1);
  expect(stored[0]!.version).toBe(applied.length + 1);
  return results.length;
}

describe.each(storeKinds())('concurrent updates of one record ($name store)', (kind) => {
  let server: SyncServer;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const created = await kind.create();
    cleanup = created.cleanup;
    server = makeServer(created.store);
  });
  afterAll(async () => {
    await cleanup();
  });

  it('gives every applied update its own version (last-write-wins collection)', async () => {
    expect(await checkRace([server], 'todos')).toBe(WRITERS);
  });

  it('gives every applied update its own version (field-merge collection)', async () => {
    expect(await checkRace([server], 'notes')).toBe(WRITERS);
  });
});

const url = postgresUrl();

describe.runIf(url !== undefined)(
  'concurrent updates of one record on two Postgres instances',
  () => {
    const schema = uniqueSchema();
    const pools: pg.Pool[] = [];
    let servers: SyncServer[];
    beforeAll(() => {
      for (let i = 0; i < 2; i++) pools.push(new pg.Pool({ connectionString: url, max: 5 }));
      servers = pools.map((pool) => makeServer(postgresServerStore(pool, { schema })));
    });
    afterAll(async () => {
      await pools[0]?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(pools.map((pool) => pool.end()));
    });

    it('serialises writers of one record across instances (last-write-wins collection)', async () => {
      expect(await checkRace(servers, 'todos')).toBe(WRITERS);
    });

    it('serialises writers of one record across instances (field-merge collection)', async () => {
      expect(await checkRace(servers, 'notes')).toBe(WRITERS);
    });
  },
);
