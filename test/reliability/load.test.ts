// Load: 100 simulated clients x 200 ops each through real HTTP, against one server on SQLite and
// against two server instances sharing one Postgres (each request of a client lands on either).
// Zero lost, zero duplicated, every replica equal to the server for its user.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSyncClient, defineCollection, httpTransport, type SyncClient } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import {
  createSyncServer,
  postgresServerStore,
  sqliteServerStore,
  type ServerStore,
  type SyncServer,
} from 'tidesync/server';
import { clientSnapshot, diffSnapshots, serverSnapshot } from 'tidesync/testing';

const CLIENTS = Number(process.env['TIDESYNC_LOAD_CLIENTS'] ?? 100);
const OPS = Number(process.env['TIDESYNC_LOAD_OPS'] ?? 200);
const USERS = Number(process.env['TIDESYNC_LOAD_USERS'] ?? 50);
const items = defineCollection({
  name: 'items',
  schema: z.object({ title: z.string(), v: z.number() }),
});

const pgUrl = process.env['TIDESYNC_PG_URL'];
if (!pgUrl && process.env['CI'] === 'true') {
  throw new Error('TIDESYNC_PG_URL must be set in CI for the Postgres load test.');
}
if (!pgUrl) console.warn('Skipping the Postgres load test: set TIDESYNC_PG_URL.');

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function listen(server: SyncServer): Promise<string> {
  const listener = http.createServer(server.nodeHandler);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => listener.close(() => resolve())));
  return `http://127.0.0.1:${(listener.address() as AddressInfo).port}/sync`;
}

function makeServer(store: ServerStore): SyncServer {
  return createSyncServer({
    collections: [items],
    store,
    authorize: (request) => ({ userId: request.headers.get('x-user') ?? 'anon' }),
  });
}

/**
 * One client's workload: 3/4 inserts, 1/4 updates of records synced earlier, syncing every 100
 * ops. (Updating a record still in the outbox would cut the push batch there, one request per
 * few ops: realistic, but it measures the batch cut rather than the server.)
 */
async function work(client: SyncClient, index: number): Promise<Map<string, number>> {
  const expected = new Map<string, number>();
  const col = client.collection('items');
  const synced: { id: string; title: string }[] = [];
  const window: { id: string; title: string }[] = [];
  for (let n = 1; n <= OPS; n++) {
    const target = synced[(n * 7) % Math.max(1, synced.length)];
    if (target && n % 4 === 0) {
      await col.update(target.id, { v: n });
      expected.set(target.title, n);
    } else {
      const title = `c${index}-${n}`;
      window.push({ id: (await col.insert({ title, v: n })).id, title });
      expected.set(title, n);
    }
    if (n % 100 === 0) {
      await client.sync();
      synced.push(...window.splice(0));
    }
  }
  await client.sync();
  return expected;
}

async function assertLoadKeepsEveryWrite(
  urls: readonly string[],
  servers: readonly SyncServer[],
): Promise<void> {
  const clients: SyncClient[] = [];
  let turn = 0;
  for (let i = 0; i < CLIENTS; i++) {
    clients.push(
      await createSyncClient({
        collections: [items],
        storage: memoryAdapter(),
        transport: httpTransport({
          url: urls[0]!,
          headers: { 'x-user': `user-${i % USERS}` },
          // Spread each client's requests over every server instance.
          fetch: (input, init) =>
            fetch(String(input).replace(urls[0]!, urls[turn++ % urls.length]!), init),
        }),
        batchSize: 50,
      }),
    );
  }
  cleanups.push(async () => {
    for (const c of clients) await c.close();
  });
  const expectations = await Promise.all(clients.map((c, i) => work(c, i)));
  // Everyone pulls what the others wrote.
  await Promise.all(clients.map((c) => c.sync()));

  const problems: string[] = [];
  let total = 0;
  for (let u = 0; u < USERS; u++) {
    const user = `user-${u}`;
    const snapshot = await serverSnapshot(
      servers[u % servers.length]!,
      [items],
      { 'x-user': user },
      `observer-${user}`,
    );
    const rows = [...(snapshot.get('items')?.values() ?? [])] as { title: string; v: number }[];
    total += rows.length;
    const byTitle = new Map<string, number[]>();
    for (const row of rows) byTitle.set(row.title, [...(byTitle.get(row.title) ?? []), row.v]);
    for (const [i, expected] of expectations.entries()) {
      if (i % USERS !== u) continue;
      for (const [title, v] of expected) {
        const found = byTitle.get(title) ?? [];
        if (found.length !== 1 || found[0] !== v)
          problems.push(`${title}: server has ${JSON.stringify(found)}, expected [${v}]`);
      }
      const replica = await clientSnapshot(clients[i]!, [items]);
      problems.push(...replica.issues.map((x) => `client ${i}: ${x.id} ${x.problem}`));
      problems.push(...diffSnapshots(`client ${i}`, replica.snapshot, snapshot, 5));
    }
  }
  expect(problems.slice(0, 20)).toEqual([]);
  const inserts = expectations.reduce((n, e) => n + e.size, 0);
  expect(total).toBe(inserts);
  expect(inserts).toBeGreaterThanOrEqual(CLIENTS * (OPS - Math.floor(OPS / 4)));
}

describe('load over HTTP', () => {
  it(`${CLIENTS} clients x ${OPS} ops against one server on SQLite: none lost or duplicated`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidesync-load-'));
    const db = new Database(join(dir, 'server.sqlite'));
    db.pragma('journal_mode = WAL');
    cleanups.push(() => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const server = makeServer(sqliteServerStore(db));
    await assertLoadKeepsEveryWrite([await listen(server)], [server]);
  }, 240_000);

  it.runIf(pgUrl !== undefined)(
    `${CLIENTS} clients x ${OPS} ops against two server instances sharing Postgres: none lost or duplicated`,
    async () => {
      const schema = `load_${process.pid}_${Date.now().toString(36)}`;
      const pools = [0, 1].map(() => new pg.Pool({ connectionString: pgUrl, max: 8 }));
      cleanups.push(async () => {
        await pools[0]!.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await Promise.all(pools.map((pool) => pool.end()));
      });
      const servers = pools.map((pool) => makeServer(postgresServerStore(pool, { schema })));
      const urls = [];
      for (const server of servers) urls.push(await listen(server));
      await assertLoadKeepsEveryWrite(urls, servers);
    },
    240_000,
  );
});
