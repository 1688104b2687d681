// The local upgrade at open: storage written by a version-1 app, opened by the version-3 app,
// has its records, queued ops (data and patches) and conflict versions migrated in one
// transaction; a crash at any storage call of it leaves version 1 whole, and the next open
// redoes it. On memory (a handed-over store), SQLite and IndexedDB.
import { afterEach, describe, expect, it } from 'vitest';
import type { CollectionDefinition, OutboxOp, StorageAdapter, StoredRecord } from 'tidesync';
import { MigrationError, createSyncClient, defineCollection } from 'tidesync';
import { SCHEMA_VERSIONS_META_KEY } from '../../src/client/local/local-upgrade.js';
import { STORE_KINDS, SimulatedCrash, crashingAdapter, type PersistedStore } from './stores.js';
import { addPriority, todosV1, todosV2, todosV3 } from './todo-versions.js';

const open = (storage: StorageAdapter, collections: readonly CollectionDefinition[]) =>
  createSyncClient({ collections, storage, triggers: [] });

interface Snapshot {
  readonly records: StoredRecord[];
  readonly ops: OutboxOp[];
  readonly versions: unknown;
}

async function snapshot(storage: StorageAdapter): Promise<Snapshot> {
  await storage.open();
  try {
    return await storage.transaction('readonly', async (tx) => ({
      records: await tx.listRecords('todos'),
      ops: await tx.listOps(),
      versions: await tx.getMeta(SCHEMA_VERSIONS_META_KEY),
    }));
  } finally {
    await storage.close();
  }
}

/** What a version-1 app leaves behind: records, queued insert/update/delete ops and a conflict. */
async function writeVersion1(store: PersistedStore): Promise<void> {
  const client = await open(store.adapter(), [todosV1]);
  const todos = client.collection('todos');
  const a = await todos.insert({ title: 'a', done: false });
  await todos.update(a.id, { title: 'a2' });
  const b = await todos.insert({ title: 'b', done: false });
  await todos.update(b.id, { done: true });
  const c = await todos.insert({ title: 'c', done: false });
  await todos.delete(c.id);
  await client.close();
  const storage = store.adapter();
  await storage.open();
  await storage.transaction('readwrite', async (tx) => {
    // A synced record with two queued updates (patches) made by the version-1 app.
    const seq = Math.max(...(await tx.listOps()).map((op) => op.seq)) + 1;
    const base = (await tx.getRecord('todos', a.id))!;
    await tx.putRecord({
      ...base,
      id: 'd',
      serverId: 'srv-d',
      version: 3,
      data: { title: 'd2', done: true },
      syncStatus: 'pending',
    });
    const update = (n: number, patch: Record<string, unknown>): OutboxOp => ({
      opId: `op-d-${n}`,
      seq: seq + n,
      pushSeq: null,
      collection: 'todos',
      id: 'd',
      serverId: 'srv-d',
      type: 'update',
      data: null,
      patch,
      changedFields: Object.keys(patch),
      baseVersion: 3,
      hlc: base.hlc,
      fieldClocks: Object.fromEntries(Object.keys(patch).map((k) => [k, base.hlc])),
      state: 'queued',
      attempts: 0,
      createdAt: 1,
      error: null,
    });
    await tx.putOp(update(0, { title: 'd2' }));
    await tx.putOp(update(1, { done: true }));
    const record = (await tx.getRecord('todos', b.id))!;
    await tx.putRecord({
      ...record,
      syncStatus: 'conflicted',
      conflict: {
        remote: { title: 'b from server', done: false },
        remoteVersion: 4,
        remoteHlc: record.hlc,
        remoteFieldClocks: { title: record.hlc, done: record.hlc },
        detectedAt: 1,
      },
    });
  });
  await storage.close();
}

describe.each(STORE_KINDS)('local upgrade at open (%s)', (_kind, create) => {
  let store: PersistedStore;
  afterEach(async () => store?.dispose());

  it('migrates records, queued ops and conflict versions to version 3, and records the version', async () => {
    store = create();
    await writeVersion1(store);
    const client = await open(store.adapter(), [todosV3]);
    const rows = await client.collection('todos').find({ orderBy: [['name', 'asc']] });
    expect(rows.map(({ name, done, priority }) => ({ name, done, priority }))).toEqual([
      { name: 'a2', done: false, priority: 0 },
      { name: 'b', done: true, priority: 0 },
      { name: 'd2', done: true, priority: 0 },
    ]);
    const [conflict] = await client.conflicts();
    expect(conflict?.remote).toEqual({ name: 'b from server', done: false, priority: 0 });
    await client.close();

    const after = await snapshot(store.adapter());
    expect(after.versions).toEqual({ todos: 3 });
    for (const record of after.records) {
      expect(record.data).not.toHaveProperty('title');
      expect(Object.keys(record.fieldClocks).sort()).toEqual(['done', 'name', 'priority']);
    }
    const updates = after.ops.filter((op) => op.type === 'update');
    expect(updates.map((op) => [op.patch, op.changedFields, Object.keys(op.fieldClocks)])).toEqual([
      [{ name: 'd2' }, ['name'], ['name']],
      [{ done: true }, ['done'], ['done']],
    ]);
    const inserts = after.ops.filter((op) => op.type === 'insert');
    expect(inserts.map((op) => op.data)).toEqual([
      { name: 'a2', done: false, priority: 0 },
      { name: 'b', done: true, priority: 0 },
    ]);
    for (const op of after.ops) {
      expect(op.patch ?? {}).not.toHaveProperty('title');
      expect(op.data ?? {}).not.toHaveProperty('title');
      expect(Object.keys(op.fieldClocks)).not.toContain('title');
    }
    // A second open has nothing left to do.
    const again = await open(store.adapter(), [todosV3]);
    expect((await again.collection('todos').find()).length).toBe(3);
    await again.close();
  });

  it('a crash at any storage call of the upgrade leaves version 1 whole; the next open redoes it', async () => {
    store = create();
    await writeVersion1(store);
    const before = await snapshot(store.adapter());
    expect(before.versions).toEqual({ todos: 1 });
    // The upgrade's calls: read the versions, list and rewrite every record and op, write the
    // versions. Crash at each one: nothing of it may remain.
    const upgradeCalls = 4 + before.records.length + before.ops.length;
    for (let at = 1; at <= upgradeCalls; at++) {
      const crashing = crashingAdapter(store.adapter(), at);
      await expect(open(crashing, [todosV3])).rejects.toBeInstanceOf(SimulatedCrash);
      await crashing.close();
      expect(await snapshot(store.adapter())).toEqual(before);
    }
    const client = await open(store.adapter(), [todosV3]);
    expect((await client.collection('todos').find()).map((r) => r.name).sort()).toEqual([
      'a2',
      'b',
      'd2',
    ]);
    await client.close();
  });

  it('a migration that throws: MIGRATION_FAILED names the collection and versions, nothing is half-migrated', async () => {
    store = create();
    await writeVersion1(store);
    const before = await snapshot(store.adapter());
    let calls = 0;
    const broken = defineCollection({
      name: 'todos',
      version: 2,
      schema: todosV2.schema,
      migrations: {
        2: (record) => {
          calls += 1;
          if (calls === 2) throw new Error('bad row');
          return addPriority(record);
        },
      },
    });
    const error = await open(store.adapter(), [broken]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({
      code: 'MIGRATION_FAILED',
      collection: 'todos',
      fromVersion: 1,
      toVersion: 2,
    });
    expect(calls).toBe(2);
    expect(await snapshot(store.adapter())).toEqual(before);
  });

  it('refuses storage written by a newer app version (a rollback) without touching it', async () => {
    store = create();
    await writeVersion1(store);
    (await open(store.adapter(), [todosV3])).close();
    const upgraded = await snapshot(store.adapter());
    await expect(open(store.adapter(), [todosV1])).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
      message: expect.stringMatching(/only up to version 1/),
    });
    expect(await snapshot(store.adapter())).toEqual(upgraded);
  });
});
