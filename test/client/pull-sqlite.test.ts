import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { SyncClient, Transport, WireRecord } from 'tidesync';
import { createSyncClient } from 'tidesync';
import type { SqliteDriver } from 'tidesync/adapters/sqlite';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { collections } from './helpers.js';
import { clientWithHook, makeClient, makeServer } from './sync-helpers.js';

const HLC = '001795628220306:000000:serverclock';

function change(id: string, version: number, title: string): WireRecord {
  return {
    collection: 'todos',
    id,
    version,
    data: { title, done: false, projectId: null },
    hlc: `${HLC.slice(0, 16)}${String(version).padStart(6, '0')}:serverclock`,
    fieldClocks: { title: HLC, done: HLC, projectId: HLC },
    deleted: false,
    updatedAt: 1_700_000_000_000 + version,
    originClientId: 'someone-else',
    originId: id,
  };
}

/** A better-sqlite3 driver that records the SQL of every query (`get` and `all`). */
function recordingDriver(queries: string[]): SqliteDriver {
  const inner = betterSqlite3Driver(new Database(':memory:'));
  return {
    ...inner,
    get: (sql, params) => {
      queries.push(sql);
      return inner.get(sql, params);
    },
    all: (sql, params) => {
      queries.push(sql);
      return inner.all(sql, params);
    },
  };
}

describe('pulling into a SQLite replica', () => {
  it('reads a page of records in one statement; a record met twice in a page sees its first change', async () => {
    // `a` comes back older after its newer version: only a lookup after the first write tells.
    const changes = [change('a', 2, 'a2'), change('b', 1, 'b1'), change('a', 1, 'a1')];
    const transport: Transport = {
      send: (kind) => {
        if (kind !== 'pull') return Promise.reject(new Error(`unexpected ${kind}`));
        return Promise.resolve({
          protocol: 1,
          changes,
          cursor: 'c1',
          hasMore: false,
          reset: false,
        });
      },
    };
    const queries: string[] = [];
    const storage = sqliteAdapter({ driver: recordingDriver(queries) });
    const client = await createSyncClient({ collections, storage, transport, triggers: [] });
    queries.length = 0;
    const result = await client.sync();
    expect(result.pulled).toBe(2);
    // One batch read for the page; the repeated record is read again, after its first write.
    expect(queries.filter((sql) => sql.includes('server_id IN'))).toHaveLength(1);
    expect(queries.filter((sql) => sql.includes('server_id = ?'))).toHaveLength(1);
    const todos = client.collection('todos');
    expect(await todos.get('a')).toMatchObject({ title: 'a2', syncStatus: 'synced' });
    expect(await todos.get('b')).toMatchObject({ title: 'b1' });
    await client.close();
  });

  it('keeps an unsent local field of a record read by the batch lookup', async () => {
    const server = makeServer(collections);
    const writer = await makeClient(collections, server);
    const inserted = await writer
      .collection('todos')
      .insertMany([0, 1, 2].map((i) => ({ title: `t${i}`, done: false, projectId: null })));
    await writer.sync();
    const hook: { beforePull?: (client: SyncClient) => Promise<void> } = {};
    const storage = sqliteAdapter({ driver: betterSqlite3Driver(new Database(':memory:')) });
    const reader = await clientWithHook(server, storage, collections, hook);
    await reader.sync();
    const theirs = inserted[1]!;
    await writer.collection('todos').update(theirs.id, { done: true });
    await writer.sync();
    // The reader's edit lands after its push and before its pull: pending while the page applies.
    hook.beforePull = async (client) => {
      await client.collection('todos').update(theirs.id, { title: 'mine' });
    };
    expect((await reader.sync()).pulled).toBe(1);
    expect(await reader.collection('todos').get(theirs.id)).toMatchObject({
      title: 'mine',
      done: true,
      syncStatus: 'pending',
    });
    await reader.sync();
    await writer.sync();
    expect(await writer.collection('todos').get(theirs.id)).toMatchObject({
      title: 'mine',
      done: true,
      syncStatus: 'synced',
    });
    await reader.close();
    await writer.close();
  });
});
