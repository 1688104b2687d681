import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { makeOp, makeRecord } from '../../src/testing/conformance/storage-fixtures.js';

/** Opens a raw connection, running `upgrade` in `onupgradeneeded`. */
function openRaw(
  factory: IDBFactory,
  name: string,
  version: number,
  upgrade: (db: IDBDatabase) => void = () => undefined,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, version);
    request.onupgradeneeded = () => upgrade(request.result);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('open failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('aborted'));
  });
}

/**
 * Creates a database exactly as tidesync's layout v1 did (frozen here on purpose: this is the
 * history an upgrade must handle), with one record, two ops and a cursor in it.
 */
async function createV1Database(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  const db = await openRaw(factory, name, 1, (raw) => {
    const records = raw.createObjectStore('records', { keyPath: ['collection', 'id'] });
    records.createIndex('byCollection', 'collection');
    const ops = raw.createObjectStore('ops', { keyPath: 'opId' });
    ops.createIndex('bySeq', 'seq');
    raw.createObjectStore('meta');
  });
  const tx = db.transaction(['records', 'ops', 'meta'], 'readwrite');
  tx.objectStore('records').put(makeRecord({ id: 'r1', serverId: 's1', syncStatus: 'synced' }));
  tx.objectStore('records').put(makeRecord({ id: 'r2' }));
  tx.objectStore('ops').put(makeOp({ opId: 'op1', seq: 1, id: 'r2' }));
  tx.objectStore('ops').put(makeOp({ opId: 'op2', seq: 2, id: 'r1', state: 'dead' }));
  tx.objectStore('meta').put('cursor-v1', 'cursor');
  await done(tx);
  return db;
}

describe('indexedDbAdapter lifecycle', () => {
  it('upgrades a layout v1 database to v3 in place, keeping every record, op and meta value', async () => {
    const factory = new IDBFactory();
    (await createV1Database(factory, 'app')).close();

    const adapter = indexedDbAdapter({ name: 'app', indexedDB: factory });
    await adapter.open();
    const seen = await adapter.transaction('readonly', async (tx) => ({
      records: (await tx.listRecords('todos')).map((r) => r.id),
      byServerId: (await tx.getRecordByServerId('todos', 's1'))?.id,
      dead: (await tx.listOps({ states: ['dead'] })).map((o) => o.opId),
      ofR2: (await tx.listOps({ collection: 'todos', recordId: 'r2' })).map((o) => o.opId),
      cursor: await tx.getMeta('cursor'),
    }));
    await adapter.close();
    expect(seen).toEqual({
      records: ['r1', 'r2'],
      byServerId: 'r1',
      dead: ['op2'],
      ofR2: ['op1'],
      cursor: 'cursor-v1',
    });

    const db = await openRaw(factory, 'app', 3);
    expect(db.version).toBe(3);
    expect(
      Array.from(db.transaction('ops', 'readonly').objectStore('ops').indexNames).sort(),
    ).toEqual(['byRecord', 'bySeq', 'byState', 'byStateSeq']);
    db.close();
  });

  it('keeps data when the database is closed and opened again by a new adapter', async () => {
    const factory = new IDBFactory();
    const first = indexedDbAdapter({ name: 'app', indexedDB: factory });
    await first.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 'r1', data: { nested: { list: [1, 'two', null] } } }));
      await tx.putOp(makeOp({ opId: 'op1', seq: 1 }));
      await tx.setMeta('cursor', { page: 3 });
    });
    await first.close();

    const second = indexedDbAdapter({ name: 'app', indexedDB: factory });
    await second.open();
    const seen = await second.transaction('readonly', async (tx) => ({
      record: await tx.getRecord('todos', 'r1'),
      ops: await tx.listOps(),
      cursor: await tx.getMeta('cursor'),
    }));
    await second.close();
    expect(seen.record).toEqual(
      makeRecord({ id: 'r1', data: { nested: { list: [1, 'two', null] } } }),
    );
    expect(seen.ops).toEqual([makeOp({ opId: 'op1', seq: 1 })]);
    expect(seen.cursor).toEqual({ page: 3 });
  });

  it('rejects open() with STORAGE_UPGRADE_BLOCKED while another tab holds v1 open, and opens once it closes', async () => {
    const factory = new IDBFactory();
    // Another tab running an old app: it keeps the connection and ignores versionchange.
    const oldTab = await createV1Database(factory, 'app');
    const adapter = indexedDbAdapter({
      name: 'app',
      indexedDB: factory,
      upgradeBlockedTimeoutMs: 10,
    });
    await expect(adapter.open()).rejects.toMatchObject({
      name: 'StorageError',
      code: 'STORAGE_UPGRADE_BLOCKED',
      retryable: true,
      message: expect.stringContaining('Close the other tabs'),
    });
    oldTab.close();
    await adapter.open();
    const cursor = await adapter.transaction('readonly', (tx) => tx.getMeta('cursor'));
    await adapter.close();
    expect(cursor).toBe('cursor-v1');
  });

  it('closes its connection on versionchange so another tab can upgrade, then rejects with STORAGE_CLOSED', async () => {
    const factory = new IDBFactory();
    const adapter = indexedDbAdapter({ name: 'app', indexedDB: factory });
    await adapter.transaction('readwrite', (tx) => tx.setMeta('cursor', 'c1'));

    // A newer app in another tab upgrades to v4; it must not be blocked by this adapter.
    const blocked: string[] = [];
    const newer = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open('app', 4);
      request.onblocked = () => blocked.push('blocked');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('open failed'));
    });
    expect(blocked).toEqual([]);
    expect(newer.version).toBe(4);
    newer.close();

    await expect(
      adapter.transaction('readonly', (tx) => tx.getMeta('cursor')),
    ).rejects.toMatchObject({
      code: 'STORAGE_CLOSED',
      message: expect.stringContaining('another tab'),
    });
    await adapter.close();
  });

  it('rejects open() with STORAGE_FAILED when the database has a newer layout than this code knows', async () => {
    const factory = new IDBFactory();
    (await openRaw(factory, 'app', 7)).close();
    const adapter = indexedDbAdapter({ name: 'app', indexedDB: factory });
    await expect(adapter.open()).rejects.toMatchObject({
      code: 'STORAGE_FAILED',
      message: expect.stringContaining('newer layout'),
    });
    await adapter.close();
  });

  it('throws INVALID_OPTION naming the fix when there is no global indexedDB and none is passed', () => {
    expect('indexedDB' in globalThis).toBe(false);
    expect(() => indexedDbAdapter({ name: 'app' })).toThrow(
      expect.objectContaining({
        name: 'TidesyncError',
        code: 'INVALID_OPTION',
        message: expect.stringContaining('fake-indexeddb'),
      }),
    );
  });

  it('throws INVALID_OPTION for an empty name, a negative upgradeBlockedTimeoutMs or an unknown durability', () => {
    const indexedDB = new IDBFactory();
    expect(() => indexedDbAdapter({ name: '', indexedDB })).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTION',
        message: expect.stringContaining('`name`'),
      }),
    );
    expect(() => indexedDbAdapter({ name: 'app', indexedDB, upgradeBlockedTimeoutMs: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() =>
      indexedDbAdapter({ name: 'app', indexedDB, durability: 'eventual' as 'strict' }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
