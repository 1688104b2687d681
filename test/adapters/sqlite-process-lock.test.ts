// Two processes on one SQLite file: the second client is refused with STORAGE_IN_USE while the
// first holds the file, and gets it once the first closed or was killed (the OS drops the
// lock with the process). The holder is a child process (fixtures/sqlite-lock-holder.ts).
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSyncClient, defineCollection } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';

const dir = mkdtempSync(join(tmpdir(), 'tidesync-sqlite-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const holderScript = fileURLToPath(new URL('./fixtures/sqlite-lock-holder.ts', import.meta.url));
let files = 0;
const tempFile = (): string => join(dir, `db${files++}.sqlite`);
const todos = defineCollection({ name: 'todos', schema: z.object({ title: z.string() }) });

interface Holder {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the next line the child prints. */
  next(): Promise<string>;
}

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function startHolder(file: string): Holder {
  const child = spawn(process.execPath, ['--import', 'tsx', holderScript, file]);
  children.push(child);
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      const resolve = waiting.shift();
      if (resolve) resolve(line);
      else lines.push(line);
    }
  });
  child.on('exit', (code) => {
    for (const resolve of waiting.splice(0)) resolve(`exit ${String(code)} ${stderr}`);
  });
  return {
    child,
    next: () => {
      const line = lines.shift();
      return line !== undefined ? Promise.resolve(line) : new Promise((r) => waiting.push(r));
    },
  };
}

const exited = (child: ChildProcessWithoutNullStreams): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.on('exit', () => resolve());
  });

const openClient = (file: string) =>
  createSyncClient({
    collections: [todos],
    storage: sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) }),
  });

describe('sqliteAdapter across processes', () => {
  it('refuses a second process with STORAGE_IN_USE while the first holds the file', async () => {
    const file = tempFile();
    const holder = startHolder(file);
    expect(await holder.next()).toBe('open');

    await expect(openClient(file)).rejects.toMatchObject({
      name: 'TidesyncError',
      code: 'STORAGE_IN_USE',
      message: expect.stringContaining('another process'),
    });
    // The refused open wrote nothing: the holder's record is the only one.
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM tidesync_records').get()).toEqual({ n: 1 });
    db.close();

    holder.child.stdin.write('close\n');
    expect(await holder.next()).toBe('closed');
    await exited(holder.child);
    const client = await openClient(file);
    expect(await client.collection('todos').find()).toHaveLength(1);
    await client.close();
  });

  it('takes the file over once the holder was killed with SIGKILL', async () => {
    const file = tempFile();
    const holder = startHolder(file);
    expect(await holder.next()).toBe('open');
    holder.child.kill('SIGKILL');
    await exited(holder.child);

    const client = await openClient(file);
    expect(await client.collection('todos').find()).toHaveLength(1);
    // ...and now this process is the holder: a child is refused.
    const second = startHolder(file);
    expect(await second.next()).toBe('error STORAGE_IN_USE');
    await client.close();
  });

  it('lets further adapters of the same process open the file, and locks nothing in memory', async () => {
    const file = tempFile();
    const first = sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) });
    const second = sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) });
    await first.open();
    await second.open();
    expect(existsSync(`${file}.tidesync-lock`)).toBe(true);
    await second.close();
    await first.close();

    const memory = sqliteAdapter({ driver: betterSqlite3Driver(new Database(':memory:')) });
    await memory.open();
    await memory.close();
  });
});
