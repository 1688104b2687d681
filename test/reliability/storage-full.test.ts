// S31: storage full during a pull (SQLite disk full, IndexedDB quota) and during an outbox
// insert. The failing transaction rejects with STORAGE_QUOTA_EXCEEDED and leaves nothing
// partial; pages committed before it keep their records and cursor; work resumes once there is
// room again. A full disk is an SQLite page budget (`PRAGMA max_page_count`); a full origin is
// an IndexedDB transaction aborted at commit with a QuotaExceededError, as Chromium does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { PullResponse, StorageAdapter, SyncClient, Transport } from 'tidesync';
import { defineCollection } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import type { SqliteDriver } from 'tidesync/adapters/sqlite';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import type { SyncServer } from 'tidesync/server';
import { quotaLimitedFactory } from '../adapters/indexeddb-quota.js';
import { clientOn, serverView, userTransport } from './fault-helpers.js';
import { makeServer } from '../client/sync-helpers.js';

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ n: z.number().int(), body: z.string() }),
});
const collections = [notes];
const RECORDS = 100;
const PAGE = 25;
const CURSOR_KEY = 'pull.cursor';
/** ~4 KB per record: a page of 25 needs far more than a few free database pages. */
const body = (n: number) => `${n}:`.padEnd(4_000, 'x');

const dir = mkdtempSync(join(tmpdir(), 'tidesync-storage-full-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = (): string => join(dir, `db${files++}.sqlite`);

async function seededServer(): Promise<SyncServer> {
  const server = makeServer(collections);
  const writer = await clientOn(
    collections,
    memoryAdapter(),
    userTransport(server, () => 'alice'),
  );
  await writer
    .collection('notes')
    .insertMany(Array.from({ length: RECORDS }, (_, n) => ({ n, body: body(n) })));
  await writer.sync();
  await writer.close();
  return server;
}

/** A transport to `server` that keeps every pull answer, in request order. */
function recordingTransport(server: SyncServer): { transport: Transport; pages: PullResponse[] } {
  const inner = userTransport(server, () => 'alice');
  const pages: PullResponse[] = [];
  const transport: Transport = {
    async send(kind, request, options) {
      const slot = pages.length;
      if (kind === 'pull') pages.push(undefined as unknown as PullResponse);
      const answer = await inner.send(kind, request, options);
      if (kind === 'pull') pages[slot] = answer as PullResponse;
      return answer;
    },
  };
  return { transport, pages };
}

/** What the client has stored: its notes' server ids, its outbox and its cursor. */
async function stored(storage: StorageAdapter) {
  return storage.transaction('readonly', async (tx) => ({
    serverIds: (await tx.listRecords('notes')).map((r) => r.serverId!).sort(),
    ops: (await tx.listOps()).length,
    cursor: await tx.getMeta(CURSOR_KEY),
  }));
}

/** The client's notes without local-only metadata, by `n`. */
async function replica(client: SyncClient) {
  const rows = await client.collection('notes').find({ orderBy: [['n', 'asc']] });
  return rows.map(({ id: _id, updatedAt: _u, ...rest }) => rest);
}

/**
 * A pull of 4 pages into `storage`; `fill()` runs once page 2 has committed, so page 3 meets a
 * full store; `makeRoom()` then frees space and the next sync must finish the pull.
 */
async function assertPullUntilFull(
  storage: StorageAdapter,
  fill: () => void,
  makeRoom: () => void,
): Promise<void> {
  const server = await seededServer();
  const { transport, pages } = recordingTransport(server);
  const client = await clientOn(collections, storage, transport, { pullPageSize: PAGE });
  let filled = false;
  client.on('progress', (event) => {
    if (event.phase === 'pull' && event.done === 2 * PAGE && !filled) {
      filled = true;
      fill();
    }
  });
  const error = await client.sync().catch((e: unknown) => e);
  expect(filled).toBe(true);
  expect(error).toMatchObject({ name: 'StorageError', code: 'STORAGE_QUOTA_EXCEEDED' });
  // Pages 1 and 2 are stored whole with the cursor covering exactly them; page 3 left nothing.
  const firstTwo = pages.slice(0, 2).flatMap((p) => p.changes.map((c) => c.id));
  expect(firstTwo).toHaveLength(2 * PAGE);
  expect(pages[1]!.hasMore).toBe(true);
  expect(await stored(storage)).toEqual({
    serverIds: [...firstTwo].sort(),
    ops: 0,
    cursor: pages[1]!.cursor,
  });
  expect(pages[2]!.changes).toHaveLength(PAGE);

  makeRoom();
  const requestsBefore = pages.length;
  await client.sync();
  // The pull resumed from page 2's cursor: the first request after the failure asked for page 3.
  expect(pages[requestsBefore]!.changes.map((c) => c.id)).toEqual(
    pages[2]!.changes.map((c) => c.id),
  );
  const after = await stored(storage);
  expect(after.serverIds).toHaveLength(RECORDS);
  expect(after.cursor).toBe(pages.at(-1)!.cursor);
  expect(after.ops).toBe(0);
  const local = await replica(client);
  const onServer = await serverView(collections, server, 'alice', 'notes');
  expect(local).toEqual(onServer.sort((x, y) => Number(x['n']) - Number(y['n'])));
  expect(local.map((r) => r['body'])).toEqual(Array.from({ length: RECORDS }, (_, n) => body(n)));
  await client.close();
}

/** A better-sqlite3 driver that remembers each statement SQLite refused, and the ones it ran. */
function watchedDriver(db: Database.Database) {
  const inner = betterSqlite3Driver(db);
  const ran: string[] = [];
  const failed: string[] = [];
  const watch =
    <A extends unknown[], R>(call: (sql: string, ...args: A) => Promise<R>) =>
    async (sql: string, ...args: A): Promise<R> => {
      try {
        const result = await call(sql, ...args);
        ran.push(sql);
        return result;
      } catch (error) {
        failed.push(sql);
        throw error;
      }
    };
  const driver: SqliteDriver = {
    ...inner,
    exec: watch(inner.exec),
    run: watch(inner.run),
  };
  return { driver, ran, failed };
}

describe('S31: SQLite disk full', () => {
  it('during a pull: sync rejects with STORAGE_QUOTA_EXCEEDED, earlier pages and their cursor stay, the next sync completes', async () => {
    const db = new Database(tempFile());
    const storage = sqliteAdapter({ driver: betterSqlite3Driver(db) });
    await assertPullUntilFull(
      storage,
      () => db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`),
      () => db.pragma('max_page_count = 1073741823'),
    );
  });

  it('during an outbox insert: the record fits, its op does not; nothing is written, the write succeeds once there is room', async () => {
    const server = makeServer(collections);
    const db = new Database(tempFile());
    const { driver, ran, failed } = watchedDriver(db);
    const storage = sqliteAdapter({ driver });
    const client = await clientOn(
      collections,
      storage,
      userTransport(server, () => 'alice'),
    );
    const big = (c: string) => c.repeat(100_000);
    const note = await client.collection('notes').insert({ n: 1, body: big('a') });
    await client.sync();
    expect(await stored(storage)).toMatchObject({ ops: 0 });
    // Room for the record's new version (the same size as the old one), not for its op, which
    // carries the new body twice (the record's whole view and the patch): a pad table of 116 KB
    // is dropped, so its pages are free inside a budget that ends at the current file size.
    // VACUUM first: the free pages earlier writes left behind would make room of their own.
    db.exec('VACUUM');
    db.exec(`CREATE TABLE pad (x BLOB); INSERT INTO pad VALUES (zeroblob(${116 * 1024}));`);
    db.exec('DROP TABLE pad');
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
    ran.length = 0;
    const error = await client
      .collection('notes')
      .update(note.id, { body: big('b') })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'StorageError', code: 'STORAGE_QUOTA_EXCEEDED' });
    // The record's write went through inside the transaction; the op's insert hit the limit.
    expect(ran.some((sql) => sql.startsWith('INSERT INTO tidesync_records'))).toBe(true);
    // (SQLite may already have rolled the transaction back on SQLITE_FULL; the adapter's own
    // ROLLBACK then fails, harmlessly.)
    expect(failed[0]).toMatch(/^INSERT INTO tidesync_ops/);
    expect(failed.slice(1).every((sql) => sql === 'ROLLBACK')).toBe(true);
    expect(ran).not.toContain('COMMIT');
    // Nothing partial: the record is the synced one, no op, nothing pending.
    expect(await client.collection('notes').get(note.id)).toMatchObject({
      body: big('a'),
      syncStatus: 'synced',
    });
    expect(await stored(storage)).toMatchObject({ ops: 0 });
    expect(client.status.pendingOps).toBe(0);

    db.pragma('max_page_count = 1073741823');
    await client.collection('notes').update(note.id, { body: big('b') });
    await client.sync();
    expect(await serverView(collections, server, 'alice', 'notes')).toEqual([
      expect.objectContaining({ n: 1, body: big('b'), syncStatus: 'synced' }),
    ]);
    expect(await stored(storage)).toMatchObject({ ops: 0 });
    await client.close();
  });
});

describe('S31: IndexedDB quota exceeded', () => {
  it('during a pull: sync rejects with STORAGE_QUOTA_EXCEEDED, earlier pages and their cursor stay, the next sync completes', async () => {
    let full = false;
    const storage = indexedDbAdapter({
      name: 'storage-full',
      // Aborted at commit while `full` and a put is over 1 KB (a record; a cursor or clock fits).
      indexedDB: quotaLimitedFactory(
        new IDBFactory(),
        (value) => full && JSON.stringify(value).length > 1_000,
      ),
      IDBKeyRange,
    });
    await assertPullUntilFull(
      storage,
      () => (full = true),
      () => (full = false),
    );
  });
});
