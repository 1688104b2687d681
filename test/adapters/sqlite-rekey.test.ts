// rotateEncryptionKey() from tidesync/adapters/sqlite: re-encrypts a SQLite file (SQLite3
// Multiple Ciphers) under a new key through a side file, fsync and an atomic rename. Pins the
// round trip through the real client, a wrong old key (STORAGE_KEY_INVALID, nothing changed),
// and a process SIGKILLed at every step and at timed instants of the rotation: exactly one of
// the two keys opens the file, with every row, and a rerun under the old key finishes.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StorageAdapter } from 'tidesync';
import { defineCollection } from 'tidesync';
import { betterSqlite3Driver, rotateEncryptionKey, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { clientOn, userTransport } from '../reliability/fault-helpers.js';
import { makeServer } from '../client/sync-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tidesync-sqlite-rekey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tempFile = (): string => join(dir, `db${files++}.sqlite`);

function keyed(file: string, key: string): Database.Database {
  const db = new Database(file);
  db.pragma(`key = '${key}'`);
  return db;
}
const encrypted = (file: string, key: string): StorageAdapter =>
  sqliteAdapter({ driver: betterSqlite3Driver(keyed(file, key)) });
const open = (file: string): Database.Database => new Database(file);
const rotate = (path: string, oldKey = 'old key', newKey = 'new key'): Promise<void> =>
  rotateEncryptionKey({ path, oldKey, newKey, open });

const notes = defineCollection({ name: 'notes', schema: z.object({ title: z.string() }) });

describe('rotateEncryptionKey (SQLite)', () => {
  it('re-encrypts records and queued ops under the new key; the old key no longer opens the file', async () => {
    const file = tempFile();
    const server = makeServer([notes]);
    const device = await clientOn(
      [notes],
      encrypted(file, 'old key'),
      userTransport(server, () => 'u'),
    );
    const synced = await device.collection('notes').insert({ title: 'synced secret' });
    await device.sync();
    await device.collection('notes').insert({ title: 'pending secret' });
    await device.close();

    const steps: string[] = [];
    await rotateEncryptionKey({
      path: file,
      oldKey: 'old key',
      newKey: 'new key',
      open,
      onStep: (s) => steps.push(s),
    });

    expect(steps).toEqual(['copied', 'rekeyed', 'flushed', 'renamed', 'done']);
    expect(readdirSync(dir).filter((name) => name.includes('.rekey'))).toEqual([]);
    await expect(encrypted(file, 'old key').open()).rejects.toMatchObject({
      code: 'STORAGE_KEY_INVALID',
    });
    const again = await clientOn(
      [notes],
      encrypted(file, 'new key'),
      userTransport(server, () => 'u'),
    );
    expect(await again.collection('notes').get(synced.id)).toMatchObject({
      title: 'synced secret',
    });
    expect((await again.pendingOps()).map((op) => op.data?.['title'])).toEqual(['pending secret']);
    await again.sync();
    expect(await again.pendingOps()).toEqual([]);
    await again.close();
    const bytes = readFileSync(file).toString('latin1');
    for (const secret of ['synced secret', 'pending secret', 'tidesync_ops']) {
      expect(bytes).not.toContain(secret);
    }
  });

  it('rejects a wrong old key with STORAGE_KEY_INVALID and leaves the file as it was', async () => {
    const file = tempFile();
    await seed(file, 10);
    const before = readFileSync(file);
    await expect(rotate(file, 'wrong key', 'new key')).rejects.toMatchObject({
      name: 'StorageError',
      code: 'STORAGE_KEY_INVALID',
      message: expect.stringMatching(/`oldKey` does not open the database.*Nothing was changed/),
    });
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(existsSync(`${file}.rekey`)).toBe(false);
    expect(await readWith(file, 'old key', 10)).toBe('rows 10/10');
  });

  it('refuses with STORAGE_BUSY while another connection is reading, and changes nothing', async () => {
    const file = tempFile();
    await seed(file, 10);
    const writer = keyed(file, 'old key');
    writer.pragma('journal_mode = WAL');
    const reader = keyed(file, 'old key');
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM tidesync_meta').get();
    // A write the reader's snapshot does not see: it stays in the WAL while the reader reads.
    writer.prepare("INSERT OR REPLACE INTO tidesync_meta (key, value) VALUES ('late', '1')").run();
    writer.close();
    await expect(rotate(file)).rejects.toMatchObject({ code: 'STORAGE_BUSY', retryable: true });
    expect(existsSync(`${file}.rekey`)).toBe(false);
    reader.exec('COMMIT');
    reader.close();
    expect(await readWith(file, 'old key', 10)).toBe('rows 10/10');
    await rotate(file);
    expect(await readWith(file, 'new key', 10)).toBe('rows 10/10');
  });

  it('rejects equal keys and a missing `open` with INVALID_OPTION before touching the file', async () => {
    const file = tempFile();
    await expect(rotate(file, 'same', 'same')).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(
      rotateEncryptionKey({ path: file, oldKey: 'a', newKey: 'b' } as never),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/open/) });
    expect(existsSync(file)).toBe(false);
  });
});

/** Seeds a file big enough that a rotation takes a while, through the adapter. */
async function seed(file: string, rows: number): Promise<void> {
  const storage = encrypted(file, 'old key');
  await storage.open();
  await storage.transaction('readwrite', async (tx) => {
    await tx.setMeta('rows', rows);
    for (let i = 0; i < rows; i++) await tx.setMeta(`row-${i}`, { i, pad: 'x'.repeat(2000) });
  });
  await storage.close();
}

/** What `key` reads of `file`: the row counts, or the error code it fails with. */
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

describe('a crash during rotateEncryptionKey (SIGKILL of a child process)', () => {
  const child = fileURLToPath(new URL('./fixtures/sqlite-rekey-child.ts', import.meta.url));

  /** Runs the rotation child; kills it itself at `killAt`, or `delayMs` after it starts. */
  function rotateInChild(file: string, killAt: string, delayMs?: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const proc = spawn(
        process.execPath,
        ['--import', 'tsx', child, file, 'old key', 'new key', killAt],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      proc.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (delayMs !== undefined && out.includes('rotating')) {
          setTimeout(() => proc.kill('SIGKILL'), delayMs);
        }
      });
      proc.on('error', reject);
      proc.on('exit', (_code, signal) => resolve(out.includes('rotated') && signal === null));
    });
  }

  it('leaves the whole database under the old key or the new one at every kill point; a rerun completes it', async () => {
    const rows = 3000;
    const complete = `rows ${rows}/${rows}`;
    const points: { killAt: string; delayMs?: number }[] = [
      { killAt: 'step:copied' },
      { killAt: 'step:rekeyed' },
      { killAt: 'step:flushed' },
      { killAt: 'step:renamed' },
      ...[0, 40, 120, 250].map((delayMs) => ({ killAt: 'none', delayMs })),
    ];
    const runs: { point: string; finished: boolean; old: string; new: string; rerun: string }[] =
      [];
    for (const { killAt, delayMs } of points) {
      const file = tempFile();
      await seed(file, rows);
      const finished = await rotateInChild(file, killAt, delayMs);
      const old = await readWith(file, 'old key', rows);
      const fresh = await readWith(file, 'new key', rows);
      // The app keeps both keys until the rotation returns, and reruns it when the old one opens.
      if (old === complete) await rotate(file);
      const rerun = await readWith(file, 'new key', rows);
      runs.push({ point: `${killAt} ${delayMs ?? ''}`, finished, old, new: fresh, rerun });
    }
    for (const run of runs) {
      expect({ point: run.point, keys: [run.old, run.new].sort() }).toEqual({
        point: run.point,
        keys: [complete, 'STORAGE_KEY_INVALID'].sort(),
      });
      expect(run.rerun).toBe(complete);
    }
    const at = (point: string) => runs.find((run) => run.point.startsWith(point))!;
    for (const step of ['step:copied', 'step:rekeyed', 'step:flushed']) {
      expect(at(step)).toMatchObject({ finished: false, old: complete });
    }
    expect(at('step:renamed')).toMatchObject({ finished: false, new: complete });
    expect(readdirSync(dir).filter((name) => name.includes('.rekey'))).toEqual([]);
  }, 120_000);
});
