import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncClient, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, sqliteServerStore, type SyncServer } from 'tidesync/server';
import { collections } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function serverOn(file: string): { server: SyncServer; db: Database.Database } {
  const db = new Database(file);
  const server = createSyncServer({
    collections,
    store: sqliteServerStore(db),
    authorize: () => ({ userId: 'u' }),
  });
  return { server, db };
}

describe('a server restored from an older backup', () => {
  it('is detected: the client re-bases, keeps its pending ops, tells the app and converges', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidesync-restore-'));
    dirs.push(dir);
    const live = join(dir, 'live.db');
    const backup = join(dir, 'backup.db');
    let current = serverOn(live);
    const transport = directTransport({ fetch: (request) => current.server.fetch(request) });
    const client = await createSyncClient({ collections, storage: memoryAdapter(), transport });
    const todos = client.collection('todos');
    const early = await todos.insert({ title: 'before backup', done: false, projectId: null });
    await client.sync();
    current.db.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(live, backup);
    const late = await todos.insert({ title: 'after backup', done: false, projectId: null });
    await client.sync();

    // Disaster: the server comes back from the backup, without `late` and with an older cursor.
    current.db.close();
    current = serverOn(backup);
    const pending = await todos.insert({
      title: 'written while the server was down',
      done: false,
      projectId: null,
    });
    let resets = 0;
    client.on('serverReset', () => void (resets += 1));
    const result = await client.sync();
    expect(result.rebased).toBe(true);
    expect(resets).toBe(1);
    expect(client.status.pendingOps).toBe(0);
    const titles = (await todos.find({ orderBy: [['title', 'asc']] })).map((t) => t.title);
    // The pending write reached the restored server; what the backup holds came back.
    expect(titles).toContain('written while the server was down');
    expect(titles).toContain('before backup');
    expect(await todos.get(pending.id)).toMatchObject({ syncStatus: 'synced' });
    expect(await todos.get(early.id)).toMatchObject({ syncStatus: 'synced' });
    // A second device sees the same state as the client: replicas agree with the restored server.
    const other = await createSyncClient({ collections, storage: memoryAdapter(), transport });
    await other.sync();
    const otherTitles = (await other.collection('todos').find({ orderBy: [['title', 'asc']] })).map(
      (t) => t.title,
    );
    expect(otherTitles).toEqual(titles);
    expect(late.id).toBeTruthy();
    await client.close();
    await other.close();
    current.db.close();
  });
});
