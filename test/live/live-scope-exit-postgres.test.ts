// Issue 18: a record leaving a user's scope pokes that user's devices on EVERY instance on one
// Postgres, not only on the instance that committed the change. The other instances read the
// record's former states from the store (the NOTIFY names the record and the version of the
// change), so a device on another instance pulls and drops the record.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncClient } from 'tidesync';
import { postgresServerStore } from 'tidesync/server';
import { postgresUrl, uniqueSchema } from '../server/postgres-fixture.js';
import type { Tokens } from './live-helpers.js';
import { openRaw, positionOf, startServer, until } from './live-helpers.js';
import { listNames, lists, listsDevice } from './scope-exit-helpers.js';

const url = postgresUrl();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const tokens: Tokens = new Map([
  ['t-alice', { userId: 'alice' }],
  ['t-bob', { userId: 'bob' }],
]);

/** Two server instances on one schema, each with its own pool, store and port. */
async function twoInstances() {
  const schema = uniqueSchema();
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  cleanups.push(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });
  const start = async () => {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const store = postgresServerStore(pool, { schema });
    const running = await startServer(store, tokens, {
      collections: [lists],
      live: { coalesceMs: 0 },
    });
    cleanups.push(async () => {
      await running.close();
      await store.close();
      await pool.end();
    });
    return running;
  };
  return { a: await start(), b: await start() };
}

async function device(serverUrl: string, token: string, live: boolean): Promise<SyncClient> {
  const client = await listsDevice(serverUrl, token, live);
  cleanups.push(() => client.close());
  return client;
}

/** The feed head as a fresh stream on `serverUrl` reports it. */
async function head(serverUrl: string): Promise<number> {
  const stream = await openRaw(serverUrl, 't-alice');
  const ready = await stream.next((e) => e.event === 'ready');
  stream.close();
  return positionOf(ready);
}

describe.runIf(url)('live pokes for a record leaving a scope, across Postgres instances', () => {
  it(
    'pokes a stream on instance B when a change through instance A takes a record out of its user’s scope',
    { timeout: 20_000 },
    async () => {
      const { a, b } = await twoInstances();
      const alice = await device(a.url, 't-alice', false);
      const shared = await alice
        .collection('lists')
        .insert({ name: 'plans', members: ['alice', 'bob'] });
      await alice.sync();
      const bob = await openRaw(b.url, 't-bob');
      const ready = await bob.next((e) => e.event === 'ready');
      expect(positionOf(ready)).toBe(await head(a.url));

      // Bob's sharing is revoked through instance A: only the state before was his to see.
      await alice.collection('lists').update(shared.id, { members: ['alice'] });
      await alice.sync();
      const removal = await head(a.url);
      expect(removal).toBeGreaterThan(positionOf(ready));
      // Before the fix only instance A could tell Bob lost sight of it: this waited forever.
      const poke = await bob.next((e) => e.event === 'poke');
      expect(positionOf(poke)).toBe(removal);
      bob.close();
    },
  );

  it(
    'a live device on instance B drops the record with no other trigger',
    { timeout: 20_000 },
    async () => {
      const { a, b } = await twoInstances();
      const alice = await device(a.url, 't-alice', false);
      const bob = await device(b.url, 't-bob', true);
      await until([bob], () => bob.status.live === 'connected');
      const shared = await alice
        .collection('lists')
        .insert({ name: 'plans', members: ['alice', 'bob'] });
      await alice.sync();
      await until([bob], async () => (await listNames(bob)).includes('plans'));

      await alice.collection('lists').update(shared.id, { members: ['alice'] });
      await alice.sync();
      await until([bob], async () => (await listNames(bob)).length === 0);
      expect(await listNames(bob)).toEqual([]);
      expect(await listNames(alice)).toEqual(['plans']);
    },
  );
});
