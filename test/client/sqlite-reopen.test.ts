import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncClient, directTransport, type SyncClient } from 'tidesync';
import {
  SQLITE_LAYOUT_VERSION,
  betterSqlite3Driver,
  sqliteAdapter,
} from 'tidesync/adapters/sqlite';
import { collections } from './helpers.js';
import { makeServer } from './sync-helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function open(file: string, server: ReturnType<typeof makeServer>): Promise<SyncClient> {
  return createSyncClient({
    collections,
    storage: sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) }),
    transport: directTransport(server),
  });
}

describe('a client on an SQLite file survives close and reopen', () => {
  it('keeps records, outbox, clock, client id and id maps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidesync-reopen-'));
    dirs.push(dir);
    const file = join(dir, 'app.db');
    const server = makeServer(collections, 'server');
    const first = await open(file, server);
    const project = await first.collection('projects').insert({ name: 'trip' });
    await first.sync();
    const mapped = await first.collection('projects').get(project.id);
    expect(mapped?.serverId).toBeTruthy();
    const todo = await first
      .collection('todos')
      .insert({ title: 'pack', done: false, projectId: project.id });
    const [pendingBefore] = await first.pendingOps();
    const clientId = first.clientId;
    await first.close();

    const second = await open(file, server);
    expect(second.clientId).toBe(clientId);
    expect(await second.collection('projects').get(mapped!.serverId!)).toMatchObject({
      id: project.id,
      name: 'trip',
      syncStatus: 'synced',
    });
    expect(await second.collection('todos').get(todo.id)).toMatchObject({
      title: 'pack',
      syncStatus: 'pending',
    });
    const [pendingAfter] = await second.pendingOps();
    expect(pendingAfter).toEqual(pendingBefore);
    await second.collection('todos').update(todo.id, { done: true });
    const ops = await second.pendingOps();
    expect(ops.at(-1)!.hlc > pendingBefore!.hlc).toBe(true);
    await second.sync();
    const serverTodo = await second.collection('todos').get(todo.id);
    expect(serverTodo).toMatchObject({
      done: true,
      projectId: mapped!.serverId,
      syncStatus: 'synced',
    });
    await second.close();
  });
});

// Rewrites a file of the current layout into layout 2 as released (the records and meta tables are the
// same; the outbox was keyed by op id with three indexes, records had two more indexes; the clock
// and outbox counter carried on the last op since layout 5 go back to their meta rows).
function downgradeToLayout2(file: string): void {
  const db = new Database(file);
  db.exec(`
    BEGIN;
    INSERT OR REPLACE INTO tidesync_meta (key, value)
      SELECT key, CASE type WHEN 'text' THEN json_quote(value) ELSE value END
      FROM json_each((SELECT carried_meta FROM tidesync_ops ORDER BY seq DESC LIMIT 1));
    DROP INDEX tidesync_records_conflicted;
    CREATE INDEX tidesync_records_accessed ON tidesync_records (collection, accessed_at);
    CREATE INDEX tidesync_records_status ON tidesync_records (collection, sync_status);
    ALTER TABLE tidesync_ops RENAME TO ops_v3;
    DROP INDEX IF EXISTS tidesync_ops_id;
    DROP INDEX IF EXISTS tidesync_ops_record;
    CREATE TABLE tidesync_ops (
      op_id TEXT PRIMARY KEY NOT NULL, seq INTEGER NOT NULL, collection TEXT NOT NULL,
      record_id TEXT NOT NULL, state TEXT NOT NULL, body TEXT NOT NULL);
    CREATE INDEX tidesync_ops_seq ON tidesync_ops (seq);
    CREATE INDEX tidesync_ops_record ON tidesync_ops (collection, record_id, seq);
    CREATE INDEX tidesync_ops_state ON tidesync_ops (state, seq);
    INSERT INTO tidesync_ops SELECT op_id, seq, collection, record_id, state, body FROM ops_v3;
    DROP TABLE ops_v3;
    PRAGMA user_version = 2;
    COMMIT;`);
  db.close();
}

describe('a client on an SQLite file written by layout 2', () => {
  it('upgrades it on open, keeps its outbox in order and syncs it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidesync-layout2-'));
    dirs.push(dir);
    const file = join(dir, 'app.db');
    const server = makeServer(collections, 'server');
    const first = await open(file, server);
    const a = await first.collection('todos').insert({ title: 'a', done: false, projectId: null });
    const b = await first.collection('todos').insert({ title: 'b', done: false, projectId: null });
    await first.collection('todos').update(a.id, { done: true });
    const before = await first.pendingOps();
    await first.close();
    downgradeToLayout2(file);

    const second = await open(file, server);
    expect(await second.pendingOps()).toEqual(before);
    await second.collection('todos').update(b.id, { done: true });
    const c = await second.collection('todos').insert({ title: 'c', done: false, projectId: null });
    const after = await second.pendingOps();
    expect(after.map((op) => op.id)).toEqual([a.id, b.id, c.id]);
    expect(after.map((op) => op.seq)).toEqual([...after.map((op) => op.seq)].sort((x, y) => x - y));
    expect(after[2]!.seq).toBeGreaterThan(before.at(-1)!.seq);
    await second.sync();
    expect(await second.pendingOps()).toEqual([]);
    const synced = await second.collection('todos').find({ orderBy: [['title', 'asc']] });
    expect(synced.map((t) => [t.title, t.done, t.syncStatus])).toEqual([
      ['a', true, 'synced'],
      ['b', true, 'synced'],
      ['c', false, 'synced'],
    ]);
    await second.close();
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(SQLITE_LAYOUT_VERSION);
    check.close();
  });
});
