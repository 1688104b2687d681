import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createSyncClient,
  defineCollection,
  directTransport,
  manual,
  type SyncClient,
  type Transport,
} from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import {
  SQLITE_LAYOUT_VERSION,
  betterSqlite3Driver,
  sqliteAdapter,
} from 'tidesync/adapters/sqlite';
import { createSyncServer } from 'tidesync/server';
import { contents, restoreServer, type ServerDump } from './sqlite-upgrade-helpers.js';

/**
 * Upgrades of client databases written by the real older code (not by frozen SQL): each fixture
 * was written by test/adapters/fixtures/make-sqlite-layout-fixture.ts run in a git worktree of
 * the commit named below (its header says how to regenerate them). Next to each `.db` is the
 * `.server.json` of what the memory server held when the client closed, so the upgraded client
 * can sync against that same server.
 */
const FIXTURES = [
  { layout: 2, name: 'sqlite-layout-v2', writtenBy: 'f9b45a6~1 (0085aff), layout 2' },
  { layout: 3, name: 'sqlite-layout-v3', writtenBy: '5f6acfd~1 (88367e2), layout 3' },
] as const;

const projects = defineCollection({ name: 'projects', schema: z.object({ name: z.string() }) });
const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string(), done: z.boolean(), projectId: z.string().nullable() }),
  conflict: manual(),
  references: { projectId: 'projects' },
});
const serverProjects = defineCollection({
  name: 'projects',
  schema: z.object({ name: z.string().max(20) }),
});
const collections = [projects, todos];

const dir = mkdtempSync(join(tmpdir(), 'tidesync-sqlite-upgrade-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Earlier than any time the fixtures were written at: a clock not restored from the file would
// issue timestamps behind the old ones.
const EARLY = 1_600_000_000_000;

describe.each(FIXTURES)('a layout $layout database written by $writtenBy', (fixture) => {
  const source = new URL(`./fixtures/${fixture.name}.db`, import.meta.url);
  const dump = JSON.parse(
    readFileSync(new URL(`./fixtures/${fixture.name}.server.json`, import.meta.url), 'utf8'),
  ) as ServerDump;
  const serverRecord = (title: string) => {
    const entry = dump.entries.find(
      (e) => e.record.data['title'] === title || e.record.data['name'] === title,
    );
    if (!entry) throw new Error(`no server record ${title}`);
    return entry.record;
  };

  it('upgrades to the current layout keeping records, outbox, conflicts, counters; syncs and converges', async () => {
    const file = join(dir, `${fixture.name}.db`);
    copyFileSync(source, file);
    const old = new Database(file, { readonly: true });
    expect(old.pragma('user_version', { simple: true })).toBe(fixture.layout);
    const meta = (key: string) =>
      JSON.parse(
        (old.prepare('SELECT value FROM tidesync_meta WHERE key = ?').get(key) as { value: string })
          .value,
      ) as unknown;
    const oldSeq = meta('outbox.seq') as number;
    const oldHlc = meta('client.hlc') as string;
    const oldCursor = meta('pull.cursor') as string;
    const oldMaxOpSeq = (
      old.prepare('SELECT max(seq) AS m FROM tidesync_ops').get() as { m: number }
    ).m;
    old.close();
    expect(oldSeq).toBe(oldMaxOpSeq);

    const store = await restoreServer(dump);
    const server = createSyncServer({
      collections: [serverProjects, todos],
      store,
      authorize: () => ({ userId: 'alice' }),
    });
    const direct = directTransport({ fetch: (request) => server.fetch(request) });
    const pushed: string[][] = [];
    const pulledFrom: unknown[] = [];
    const transport: Transport = {
      send(kind, body, options) {
        if (kind === 'push') {
          pushed.push((body as { ops: { opId: string }[] }).ops.map((op) => op.opId));
        }
        if (kind === 'pull') pulledFrom.push((body as { cursor: unknown }).cursor);
        return direct.send(kind, body, options);
      },
    };
    const client = await createSyncClient({
      collections,
      storage: sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) }),
      transport,
      triggers: [],
      now: () => EARLY,
    });
    expect(client.clientId).toBe(dump.client.clientId);

    // Records, through the public API.
    const home = serverRecord('Home');
    const synced = (title: string) => ({
      id: serverRecord(title).id,
      serverId: serverRecord(title).id,
    });
    const live = await client.collection('todos').find({ orderBy: [['title', 'asc']] });
    expect(live).toEqual([
      {
        ...synced('conflicted (theirs)'),
        title: 'conflicted (mine)',
        done: false,
        projectId: home.id,
        syncStatus: 'conflicted',
        updatedAt: expect.any(Number),
      },
      {
        ...synced('in-flight'),
        title: 'in-flight',
        done: true,
        projectId: home.id,
        syncStatus: 'pending',
        updatedAt: expect.any(Number),
      },
      {
        id: expect.any(String),
        serverId: null,
        title: 'offline-new',
        done: false,
        projectId: home.id,
        syncStatus: 'pending',
        updatedAt: expect.any(Number),
      },
      {
        ...synced('synced'),
        title: 'synced',
        done: false,
        projectId: home.id,
        syncStatus: 'synced',
        updatedAt: expect.any(Number),
      },
      {
        ...synced('to-update'),
        title: 'updated offline',
        done: true,
        projectId: home.id,
        syncStatus: 'pending',
        updatedAt: expect.any(Number),
      },
    ]);
    const newId = live[2]!.id;
    const allProjects = await client.collection('projects').find({ orderBy: [['name', 'asc']] });
    expect(allProjects).toEqual([
      {
        id: home.id,
        serverId: home.id,
        name: 'Home',
        syncStatus: 'synced',
        updatedAt: expect.any(Number),
      },
      {
        id: expect.any(String),
        serverId: null,
        name: 'too long for the server schema',
        syncStatus: 'pending',
        updatedAt: expect.any(Number),
      },
    ]);
    expect(await client.collection('todos').get(serverRecord('to-delete').id)).toBeUndefined();
    expect(await client.collection('todos').get(serverRecord('tombstone').id)).toBeUndefined();

    // The outbox: the op in flight keeps its push number; the offline writes are queued.
    const pending = await client.pendingOps();
    expect(
      pending.map((op) => ({ type: op.type, id: op.id, state: op.state, pushSeq: op.pushSeq })),
    ).toEqual([
      {
        type: 'update',
        id: serverRecord('in-flight').id,
        state: 'inflight',
        pushSeq: dump.client.lastSeq,
      },
      { type: 'insert', id: newId, state: 'queued', pushSeq: null },
      { type: 'update', id: serverRecord('to-update').id, state: 'queued', pushSeq: null },
      { type: 'delete', id: serverRecord('to-delete').id, state: 'queued', pushSeq: null },
    ]);
    expect(client.status.pendingOps).toBe(4);
    const dead = await client.deadLetters();
    expect(dead.map((op) => [op.type, op.collection, op.data])).toEqual([
      ['insert', 'projects', { name: 'too long for the server schema' }],
    ]);
    const conflicts = await client.conflicts();
    expect(conflicts).toEqual([
      expect.objectContaining({
        collection: 'todos',
        id: serverRecord('conflicted (theirs)').id,
        serverId: serverRecord('conflicted (theirs)').id,
        local: { title: 'conflicted (mine)', done: false, projectId: home.id },
        remote: { title: 'conflicted (theirs)', done: true, projectId: home.id },
        remoteVersion: 2,
      }),
    ]);
    expect(client.status.conflicts).toBe(1);

    // New writes count on from the old seq, and the clock does not go back.
    await client
      .collection('todos')
      .insert({ title: 'after upgrade', done: false, projectId: home.id });
    const added = (await client.pendingOps()).at(-1)!;
    expect(added.seq).toBe(oldSeq + 1);
    expect(added.hlc > oldHlc).toBe(true);

    // Sync pushes exactly the pending ops (the one in flight re-sent), and nothing else.
    const toPush = (await client.pendingOps()).map((op) => op.opId);
    await client.sync();
    expect(pushed.flat()).toEqual(toPush);
    // The pull goes on from where the old client left off.
    expect(pulledFrom[0]).toBe(oldCursor);
    expect(client.status.pendingOps).toBe(0);
    const onServer = async (id: string) => store.read(async (r) => r.getRecord('todos', id));
    // Re-sent, not applied twice: still version 2.
    expect(await onServer(serverRecord('in-flight').id)).toMatchObject({
      version: 2,
      data: { done: true },
    });
    expect(await onServer(serverRecord('to-update').id)).toMatchObject({
      version: 2,
      data: { title: 'updated offline', done: true },
    });
    expect(await onServer(serverRecord('to-delete').id)).toMatchObject({ deleted: true });
    expect(await onServer(serverRecord('conflicted (theirs)').id)).toMatchObject({
      version: 2,
      data: { title: 'conflicted (theirs)' },
    });

    // The conflict resolves and syncs; another device then sees what this one sees.
    await client.resolveConflict('todos', serverRecord('conflicted (theirs)').id, {
      keep: 'local',
    });
    expect(await client.conflicts()).toEqual([]);
    await client.sync();
    expect(client.status).toMatchObject({ pendingOps: 0, conflicts: 0 });
    const other = await createSyncClient({
      collections,
      storage: memoryAdapter(),
      transport: direct,
      triggers: [],
    });
    await other.sync();
    const view = async (c: SyncClient) =>
      (await c.collection('todos').find({ orderBy: [['title', 'asc']] })).map(
        ({ title, done, projectId, serverId, syncStatus }) => ({
          title,
          done,
          projectId,
          serverId,
          syncStatus,
        }),
      );
    const mine = await view(client);
    expect(mine.map((t) => t.title)).toEqual([
      'after upgrade',
      'conflicted (mine)',
      'in-flight',
      'offline-new',
      'synced',
      'updated offline',
    ]);
    expect(mine.every((t) => t.syncStatus === 'synced')).toBe(true);
    expect(await view(other)).toEqual(mine);
    await other.close();
    await client.close();

    // The current layout now; the tombstone is still stored as deleted.
    const after = new Database(file);
    expect(after.pragma('user_version', { simple: true })).toBe(SQLITE_LAYOUT_VERSION);
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(after) });
    const tombstone = await adapter.transaction('readonly', (tx) =>
      tx.getRecord('todos', serverRecord('tombstone').id),
    );
    expect(tombstone).toMatchObject({
      serverId: serverRecord('tombstone').id,
      deleted: true,
      syncStatus: 'synced',
    });
    await adapter.close();
  });

  it('keeps deleted records, the clock and the counters, and a second open changes nothing', async () => {
    const file = join(dir, `${fixture.name}-reopen.db`);
    copyFileSync(source, file);
    const first = sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) });
    const seen = await first.transaction('readonly', async (tx) => ({
      toDelete: await tx.getRecord('todos', serverRecord('to-delete').id),
      tombstone: await tx.getRecord('todos', serverRecord('tombstone').id),
      seq: await tx.getMeta('outbox.seq'),
      pushSeq: await tx.getMeta('outbox.pushSeq'),
      ops: await tx.listOps(),
    }));
    await first.close();
    expect(seen.toDelete).toMatchObject({
      deleted: true,
      syncStatus: 'pending',
      serverId: serverRecord('to-delete').id,
    });
    expect(seen.tombstone).toMatchObject({ deleted: true, syncStatus: 'synced' });
    expect(seen.pushSeq).toBe(dump.client.lastSeq);
    expect(seen.ops.map((op) => op.seq)).toEqual(
      [...seen.ops.map((op) => op.seq)].sort((a, b) => a - b),
    );
    expect(seen.ops.at(-1)!.seq).toBe(seen.seq);
    const upgraded = contents(file);
    expect(upgraded).toMatchObject({ version: SQLITE_LAYOUT_VERSION });
    const second = sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) });
    await second.open();
    await second.close();
    expect(contents(file)).toEqual(upgraded);
  });
});
