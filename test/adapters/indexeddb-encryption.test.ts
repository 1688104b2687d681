// Encryption at rest in IndexedDB (fake-indexeddb): indexedDbAdapter({ name, encryptionKey }).
// The conformance suite runs with the key set; the raw object stores hold no plaintext; a wrong
// key fails at open; rows are authenticated; key rotation is atomic, also when it crashes.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSyncClient, defineCollection } from 'tidesync';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { runStorageAdapterConformance } from '../../src/testing/conformance/storage-adapter-vitest.js';
import { makeRecord } from '../../src/testing/conformance/storage-fixtures.js';
import { userTransport } from '../reliability/fault-helpers.js';
import { makeServer } from '../client/sync-helpers.js';
import {
  SECRETS,
  SimulatedCrash,
  crashAfterPuts,
  newKey,
  rawDump,
  writeSecrets,
} from './indexeddb-encryption-helpers.js';

const conformanceKey = await newKey();
runStorageAdapterConformance('indexeddb (fake-indexeddb, encrypted)', () =>
  indexedDbAdapter({
    name: 'conformance',
    indexedDB: new IDBFactory(),
    IDBKeyRange,
    encryptionKey: conformanceKey,
  }),
);
runStorageAdapterConformance('indexeddb (fake-indexeddb, encrypted, no IDBKeyRange)', () =>
  indexedDbAdapter({
    name: 'conformance',
    indexedDB: new IDBFactory(),
    encryptionKey: conformanceKey,
  }),
);

const adapterOn = (factory: IDBFactory, encryptionKey?: CryptoKey) =>
  indexedDbAdapter({
    name: 'app',
    indexedDB: factory,
    IDBKeyRange,
    ...(encryptionKey ? { encryptionKey } : {}),
  });

async function snapshot(factory: IDBFactory, key?: CryptoKey) {
  const adapter = adapterOn(factory, key);
  try {
    return await adapter.transaction('readonly', async (tx) => ({
      records: await tx.listRecords('todos'),
      ops: await tx.listOps(),
      note: await tx.getMeta('note'),
    }));
  } finally {
    await adapter.close();
  }
}

describe('indexedDbAdapter with an encryptionKey', () => {
  it('stores record bodies, conflict versions, op payloads and meta values as ciphertext', async () => {
    const factory = new IDBFactory();
    const key = await newKey();
    const adapter = adapterOn(factory, key);
    await writeSecrets(adapter);
    await adapter.close();
    const raw = await rawDump(factory, 'app');
    for (const secret of Object.values(SECRETS)) expect(raw).not.toContain(secret);
    // The clear fields are the indexed ones only.
    expect(raw).toContain('"serverId":"s1"');
    expect(raw).not.toContain('"syncStatus"');
    expect(raw).not.toContain('"changedFields"');
    // ...and the data reads back as written.
    const seen = await snapshot(factory, key);
    expect(seen.records[0]).toMatchObject({
      data: { title: SECRETS.record },
      conflict: { remote: { title: SECRETS.remote } },
    });
    expect(seen.ops[0]?.data).toEqual({ title: SECRETS.op });
    expect(seen.note).toEqual({ text: SECRETS.meta });
  });

  it('control: without a key the same rows are plaintext', async () => {
    const factory = new IDBFactory();
    const adapter = adapterOn(factory);
    await writeSecrets(adapter);
    await adapter.close();
    const raw = await rawDump(factory, 'app');
    for (const secret of Object.values(SECRETS)) expect(raw).toContain(secret);
  });

  it('uses a fresh IV for every write, so equal values give different ciphertexts', async () => {
    const factory = new IDBFactory();
    const adapter = adapterOn(factory, await newKey());
    const record = makeRecord({ id: 'r1', data: { title: 'same' } });
    const ivs = new Set<string>();
    for (let i = 0; i < 3; i++) {
      await adapter.transaction('readwrite', (tx) => tx.putRecord(record));
      const raw = JSON.parse(await rawDump(factory, 'app')) as unknown[][];
      const rows = raw.flat().filter((row) => (row as { id?: string })?.id === 'r1');
      ivs.add(JSON.stringify(rows));
    }
    expect(ivs.size).toBe(3);
    await adapter.close();
  });

  it('fails at open with STORAGE_KEY_INVALID for a wrong key, a missing key, or unencrypted data; nothing changes', async () => {
    const factory = new IDBFactory();
    const key = await newKey();
    const adapter = adapterOn(factory, key);
    await writeSecrets(adapter);
    await adapter.close();
    const before = await rawDump(factory, 'app');
    for (const attempt of [adapterOn(factory, await newKey()), adapterOn(factory)]) {
      await expect(attempt.open()).rejects.toMatchObject({
        name: 'StorageError',
        code: 'STORAGE_KEY_INVALID',
      });
      // Every later call fails the same way; it never reads garbage or an empty database.
      await expect(
        attempt.transaction('readonly', (tx) => tx.listRecords('todos')),
      ).rejects.toMatchObject({
        code: 'STORAGE_KEY_INVALID',
      });
      await attempt.close();
    }
    expect(await rawDump(factory, 'app')).toBe(before);

    const plain = new IDBFactory();
    await writeSecrets(adapterOn(plain));
    await expect(adapterOn(plain, key).open()).rejects.toMatchObject({
      code: 'STORAGE_KEY_INVALID',
      message: expect.stringMatching(/unencrypted data/),
    });
    // A client on the wrong key fails at creation.
    const todos = defineCollection({ name: 'todos', schema: z.object({ title: z.string() }) });
    await expect(
      createSyncClient({
        collections: [todos],
        storage: adapterOn(factory, await newKey()),
        triggers: [],
      }),
    ).rejects.toMatchObject({ code: 'STORAGE_KEY_INVALID' });
  });

  it('authenticates rows with their clear fields: a ciphertext moved to another row fails to read', async () => {
    const factory = new IDBFactory();
    const key = await newKey();
    const adapter = adapterOn(factory, key);
    await adapter.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 'a', data: { title: 'A' } }));
      await tx.putRecord(makeRecord({ id: 'b', data: { title: 'B' } }));
    });
    await adapter.close();
    // Copy a's sealed body onto b's row with plain IndexedDB.
    const db = await new Promise<IDBDatabase>((resolve) => {
      const request = factory.open('app');
      request.onsuccess = () => resolve(request.result);
    });
    await new Promise<void>((resolve) => {
      const tx = db.transaction('records', 'readwrite');
      const store = tx.objectStore('records');
      const get = store.get(['todos', 'a']);
      get.onsuccess = () => store.put({ ...(get.result as object), id: 'b' });
      tx.oncomplete = () => resolve();
    });
    db.close();
    const again = adapterOn(factory, key);
    await expect(
      again.transaction('readonly', (tx) => tx.getRecord('todos', 'b')),
    ).rejects.toMatchObject({
      code: 'STORAGE_KEY_INVALID',
    });
    expect(await again.transaction('readonly', (tx) => tx.getRecord('todos', 'a'))).toMatchObject({
      data: { title: 'A' },
    });
    await again.close();
  });

  it('still rejects a transaction that awaits a timer with TRANSACTION_INACTIVE, writing nothing', async () => {
    const factory = new IDBFactory();
    const key = await newKey();
    const adapter = adapterOn(factory, key);
    await adapter.transaction('readwrite', (tx) => tx.setMeta('note', 'before'));
    const failure = adapter.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 'r1' }));
      await tx.getMeta('note'); // a decrypting read, kept alive, then a foreign wait
      await new Promise((resolve) => setTimeout(resolve, 20));
      await tx.setMeta('note', 'after');
    });
    await expect(failure).rejects.toMatchObject({ code: 'TRANSACTION_INACTIVE' });
    await adapter.close();
    expect(await snapshot(factory, key)).toEqual({ records: [], ops: [], note: 'before' });
  });

  it('rejects an encryptionKey that is not an AES-GCM CryptoKey, before any I/O', async () => {
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    for (const bad of ['secret', hmac, {}]) {
      expect(() =>
        indexedDbAdapter({
          name: 'app',
          indexedDB: new IDBFactory(),
          encryptionKey: bad as CryptoKey,
        }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }) as Error);
    }
  });

  it('syncs and queries through a client on encrypted storage', async () => {
    const todos = defineCollection({
      name: 'todos',
      schema: z.object({ title: z.string(), done: z.boolean() }),
    });
    const server = makeServer([todos]);
    const factory = new IDBFactory();
    const key = await newKey();
    const make = () =>
      createSyncClient({
        collections: [todos],
        storage: adapterOn(factory, key),
        transport: userTransport(server, () => 'u'),
        triggers: [],
      });
    const client = await make();
    await client.collection('todos').insert({ title: 'one', done: false });
    await client.collection('todos').insert({ title: 'two', done: true });
    await client.sync();
    await client.collection('todos').insert({ title: 'three', done: false });
    await client.close();
    const again = await make();
    const open = await again
      .collection('todos')
      .find({ where: { done: false }, orderBy: [['title', 'asc']] });
    expect(open.map((r) => r.title)).toEqual(['one', 'three']);
    expect(await again.pendingOps()).toHaveLength(1);
    await again.sync();
    expect(await again.pendingOps()).toHaveLength(0);
    await again.close();
  });
});

describe('rotateEncryptionKey', () => {
  it('re-encrypts everything under the new key; the old key no longer opens it', async () => {
    const factory = new IDBFactory();
    const oldKey = await newKey();
    const nextKey = await newKey();
    const adapter = adapterOn(factory, oldKey);
    await writeSecrets(adapter);
    const before = await snapshot(factory, oldKey);
    // A write queued alongside the rotation lands under the new key.
    const [, written] = await Promise.all([
      adapter.rotateEncryptionKey(nextKey),
      adapter.transaction('readwrite', (tx) => tx.setMeta('after', 'rotation')),
    ]);
    expect(written).toBeUndefined();
    expect(await adapter.transaction('readonly', (tx) => tx.getMeta('after'))).toBe('rotation');
    await adapter.close();
    expect(await snapshot(factory, nextKey)).toEqual(before);
    await expect(snapshot(factory, oldKey)).rejects.toMatchObject({ code: 'STORAGE_KEY_INVALID' });
    const raw = await rawDump(factory, 'app');
    for (const secret of Object.values(SECRETS)) expect(raw).not.toContain(secret);
  });

  it('a crash at any point of a rotation leaves everything under the old key, nothing half-written', async () => {
    const oldKey = await newKey();
    const nextKey = await newKey();
    // writeSecrets makes 1 record + 1 op + 2 meta rows (note, key check): 4 puts in the rotation.
    for (let crashAt = 1; crashAt <= 4; crashAt++) {
      const factory = new IDBFactory();
      const adapter = adapterOn(factory, oldKey);
      await writeSecrets(adapter);
      const before = await snapshot(factory, oldKey);
      const rawBefore = await rawDump(factory, 'app');
      const restore = crashAfterPuts(crashAt);
      const rotated = await adapter.rotateEncryptionKey(nextKey).catch((error: unknown) => error);
      restore();
      expect(rotated).toMatchObject({ cause: expect.any(SimulatedCrash) });
      await adapter.close();
      expect(await rawDump(factory, 'app')).toBe(rawBefore);
      expect(await snapshot(factory, oldKey)).toEqual(before);
      await expect(snapshot(factory, nextKey)).rejects.toMatchObject({
        code: 'STORAGE_KEY_INVALID',
      });
      // Retrying the rotation completes it.
      const retry = adapterOn(factory, oldKey);
      await retry.rotateEncryptionKey(nextKey);
      await retry.close();
      expect(await snapshot(factory, nextKey)).toEqual(before);
    }
  });
});
