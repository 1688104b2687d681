// Encryption at rest on SQLite through the driver seam: the app opens and keys the database
// with better-sqlite3-multiple-ciphers, and tidesync works unchanged on it. Pins that the
// file holds no plaintext of records, ops or the conflict inbox, that a wrong or missing key
// fails at open with STORAGE_KEY_INVALID, and that rekeying (docs/security.md) is crash-safe.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { rotateSqliteKey } from './fixtures/sqlite-rekey.js';

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

describe('a crash during SQLite key rotation (the side-file recipe of docs/security.md)', () => {
  const child = fileURLToPath(new URL('./fixtures/sqlite-rekey-child.ts', import.meta.url));

  /** Seeds a file big enough that a rotation takes a while, through the adapter. */
  async function seed(file: string, rows: number): Promise<void> {
    const storage = encrypted(file, 'old key');
    await storage.open();
    await storage.transaction('readwrite', async (tx) => {
      await tx.setMeta('rows', rows);
      for (let i = 0; i < rows; i++) {
        await tx.setMeta(`row-${i}`, { i, pad: 'x'.repeat(2000) });
      }
    });
    await storage.close();
  }

  /** Runs the rotation child and SIGKILLs it `delayMs` after it starts. */
  function rekeyAndKill(file: string, delayMs: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, file, 'old key', 'new key'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      proc.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('rotating') && !proc.killed) {
          setTimeout(() => proc.kill('SIGKILL'), delayMs);
        }
      });
      proc.on('error', reject);
      proc.on('exit', () => resolve(out.includes('rotated')));
    });
  }

  /** What `key` reads of `file`: every row count, or the error code it fails with. */
  async function readWith(file: string, key: string, rows: number): Promise<string> {
    const storage = encrypted(file, key);
    try {
      return await storage.transaction('readonly', async (tx) => {
        const count = await tx.getMeta<number>('rows');
        let present = 0;
        for (let i = 0; i < rows; i++) if (await tx.getMeta(`row-${i}`)) present++;
        return `rows ${count}/${present}`;
      });
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    } finally {
      await storage.close();
    }
  }

  it('leaves the file wholly under one of the two keys, with every row; a rerun completes it', async () => {
    const rows = 3000;
    const complete = `rows ${rows}/${rows}`;
    const runs: { finished: boolean; old: string; new: string; rerun: string }[] = [];
    for (const delayMs of [0, 20, 60, 120, 200, 300, 450, 5000]) {
      const file = tempFile();
      await seed(file, rows);
      const finished = await rekeyAndKill(file, delayMs);
      const old = await readWith(file, 'old key', rows);
      const fresh = await readWith(file, 'new key', rows);
      // The app keeps both keys until the rotation is done, and reruns it when the old one opens.
      if (old === complete) {
        rotateSqliteKey(Database, {
          file,
          oldKey: 'old key',
          newKey: 'new key',
          rename: renameSync,
          remove: rmSync,
        });
      }
      runs.push({ finished, old, new: fresh, rerun: await readWith(file, 'new key', rows) });
    }
    for (const run of runs) {
      expect([run.old, run.new].sort()).toEqual([complete, 'STORAGE_KEY_INVALID'].sort());
      expect(run.rerun).toBe(complete);
    }
    // A finished rotation is under the new key; the kills landed both before and after the rename.
    expect(runs.filter((run) => run.finished).every((run) => run.new === complete)).toBe(true);
    expect(new Set(runs.map((run) => run.old === complete))).toEqual(new Set([true, false]));
  }, 120_000);
});
