// Encryption at rest on SQLite through the driver seam: the app opens and keys the database
// with better-sqlite3-multiple-ciphers, and tidesync works unchanged on it. Pins that the
// file holds no plaintext of records, ops or the conflict inbox, that a wrong or missing key
// fails at open with STORAGE_KEY_INVALID, and that the driver can rekey in place. Key rotation
// through rotateEncryptionKey(), crashes included: sqlite-rekey.test.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import PlainDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StorageAdapter } from 'tidesync';
import { defineCollection, manual } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { runStorageAdapterConformance } from '../../src/testing/conformance/storage-adapter-vitest.js';
import { clientOn, userTransport } from '../reliability/fault-helpers.js';
import { makeServer } from '../client/sync-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tidesync-sqlite-enc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = (): string => join(dir, `db${files++}.sqlite`);

/** A connection keyed the way an app does it, before tidesync sees it. */
function keyed(file: string, key: string): Database.Database {
  const db = new Database(file);
  db.pragma(`key = '${key}'`);
  return db;
}
const encrypted = (file: string, key: string): StorageAdapter =>
  sqliteAdapter({ driver: betterSqlite3Driver(keyed(file, key)) });

/** Every byte tidesync's SQLite files hold right now: the database, its WAL and its shm. */
function fileBytes(file: string): string {
  return ['', '-wal', '-shm', '-journal']
    .filter((suffix) => existsSync(file + suffix))
    .map((suffix) => readFileSync(file + suffix).toString('latin1'))
    .join('\n');
}

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ title: z.string() }),
  conflict: manual(),
});
const SECRETS = ['remote-version-secret', 'local-version-secret', 'pending-op-secret'];

/**
 * A device on `storage` that ends with a synced record, an open conflict (both versions kept)
 * and a pending insert, written through the real client.
 */
async function deviceWithConflictAndPendingWork(storage: StorageAdapter): Promise<void> {
  const server = makeServer([notes]);
  const other = await clientOn(
    [notes],
    memoryAdapter(),
    userTransport(server, () => 'u'),
  );
  const device = await clientOn(
    [notes],
    storage,
    userTransport(server, () => 'u'),
  );
  const shared = await other.collection('notes').insert({ title: 'shared' });
  await other.sync();
  await device.sync();
  await other.collection('notes').update(shared.id, { title: SECRETS[0]! });
  await other.sync();
  const local = await device.collection('notes').get(shared.id);
  await device.collection('notes').update(local!.id, { title: SECRETS[1]! });
  await device.sync();
  await device.collection('notes').insert({ title: SECRETS[2]! });
  expect(await device.conflicts()).toHaveLength(1);
  expect((await device.pendingOps()).length).toBeGreaterThan(0);
  await other.close();
  await device.close();
}

runStorageAdapterConformance('sqlite (better-sqlite3-multiple-ciphers, keyed file)', () =>
  encrypted(tempFile(), 'conformance key'),
);

describe('SQLite encrypted through the driver (better-sqlite3-multiple-ciphers)', () => {
  it('keeps no plaintext of records, ops or the conflict inbox in the file, its WAL or shm', async () => {
    const file = tempFile();
    await deviceWithConflictAndPendingWork(encrypted(file, 'device key'));
    const bytes = fileBytes(file);
    expect(bytes.length).toBeGreaterThan(4096);
    for (const secret of [...SECRETS, 'tidesync_ops', 'tidesync_records']) {
      expect(bytes).not.toContain(secret);
    }
    // The same device reopened with its key sees everything again.
    const again = await clientOn(
      [notes],
      encrypted(file, 'device key'),
      userTransport(makeServer([notes]), () => 'u'),
    );
    expect((await again.conflicts())[0]).toMatchObject({ remote: { title: SECRETS[0] } });
    expect(
      (await again.pendingOps()).map((op) => op.data?.['title'] ?? op.patch?.['title']),
    ).toContain(SECRETS[2]);
    await again.close();
  });

  it('control: the same scenario on an unencrypted file does show the plaintext', async () => {
    const file = tempFile();
    await deviceWithConflictAndPendingWork(
      sqliteAdapter({ driver: betterSqlite3Driver(new PlainDatabase(file)) }),
    );
    const bytes = fileBytes(file);
    for (const secret of SECRETS) expect(bytes).toContain(secret);
  });

  it('rejects a wrong key, and a missing key, at open with STORAGE_KEY_INVALID and changes nothing', async () => {
    const file = tempFile();
    await deviceWithConflictAndPendingWork(encrypted(file, 'right key'));
    const before = readFileSync(file);
    for (const storage of [
      encrypted(file, 'wrong key'),
      sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) }),
    ]) {
      await expect(storage.open()).rejects.toMatchObject({
        name: 'StorageError',
        code: 'STORAGE_KEY_INVALID',
        message: expect.stringMatching(/another key/),
      });
      await storage.close();
    }
    // A client on the wrong key fails the same way, at creation.
    await expect(
      clientOn(
        [notes],
        encrypted(file, 'wrong key'),
        userTransport(makeServer([notes]), () => 'u'),
      ),
    ).rejects.toMatchObject({ code: 'STORAGE_KEY_INVALID' });
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('rekeys through the driver (rollback journal, PRAGMA rekey, WAL again): the new key opens it, the old one no longer does', async () => {
    const file = tempFile();
    await deviceWithConflictAndPendingWork(encrypted(file, 'old key'));
    const db = keyed(file, 'old key');
    db.pragma('journal_mode = DELETE');
    db.pragma(`rekey = 'new key'`);
    db.pragma('journal_mode = WAL');
    db.close();
    await expect(encrypted(file, 'old key').open()).rejects.toMatchObject({
      code: 'STORAGE_KEY_INVALID',
    });
    const client = await clientOn(
      [notes],
      encrypted(file, 'new key'),
      userTransport(makeServer([notes]), () => 'u'),
    );
    expect(await client.conflicts()).toHaveLength(1);
    expect((await client.pendingOps()).length).toBeGreaterThan(0);
    await client.close();
  });
});
