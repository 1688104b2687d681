import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncClient, directTransport, type SyncClient } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
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
