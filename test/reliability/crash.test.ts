// S2 / S5 over the wire: a real client process on an SQLite file syncing to a real HTTP server
// is killed with SIGKILL during local writes and during pushes (before the server applies a
// batch, and after it applied but before the response arrives). After a restart and a final
// sync the server holds every write the child acknowledged, exactly once (I1, I2, I3).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection } from 'tidesync';
import { createSyncServer, sqliteServerStore, type SyncServer } from 'tidesync/server';
import { seededRandom, serverSnapshot } from 'tidesync/testing';

const KILLS = Number(process.env['TIDESYNC_CRASH_KILLS'] ?? 20);
const SEED = Number(process.env['TIDESYNC_CRASH_SEED'] ?? Date.now() % 1_000_000);
const fixture = fileURLToPath(new URL('./fixtures/crash-sync-client.ts', import.meta.url));
const items = defineCollection({
  name: 'items',
  schema: z.object({ title: z.string(), v: z.number() }),
});

let dir: string;
let serverDb: Database.Database;
let server: SyncServer;
let listener: http.Server;
let url: string;
/** Set by a test: decides, per push request reaching the server, whether to kill the child. */
let onPush: ((res: http.ServerResponse) => 'pass' | 'kill-before' | 'kill-after') | undefined;
let current: ChildProcess | undefined;
/** The fixture bundled once to plain JS: a tsx start-up per kill would cost seconds each. */
let bundle: string;

function killCurrent(): Promise<void> {
  const child = current;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidesync-crash-'));
  // Inside node_modules/.cache so the bundle's `import 'better-sqlite3'` resolves.
  const cache = fileURLToPath(
    new URL('../../node_modules/.cache/tidesync-tests/', import.meta.url),
  );
  mkdirSync(cache, { recursive: true });
  bundle = join(cache, `crash-sync-client-${process.pid}.mjs`);
  await build({
    entryPoints: [fixture],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    external: ['better-sqlite3'],
    logLevel: 'silent',
  });
  serverDb = new Database(join(dir, 'server.sqlite'));
  serverDb.pragma('journal_mode = WAL');
  server = createSyncServer({
    collections: [items],
    store: sqliteServerStore(serverDb),
    authorize: (request) => ({ userId: request.headers.get('x-user') ?? 'anon' }),
    onError: () => undefined,
  });
  listener = http.createServer((req, res) => {
    const decision = req.url?.endsWith('/push') && onPush ? onPush(res) : 'pass';
    if (decision === 'kill-before') {
      void killCurrent().then(() => server.nodeHandler(req, res));
      return;
    }
    if (decision === 'kill-after') {
      // The server applies the batch; the client dies before it can read the answer.
      const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
      res.end = ((...args: unknown[]) => {
        void killCurrent().then(() => end(...args));
        return res;
      }) as typeof res.end;
    }
    server.nodeHandler(req, res);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/sync`;
});

afterAll(async () => {
  await killCurrent();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  serverDb.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(bundle, { force: true });
});

/** Runs the child until it is killed (by `killAfter` acks, or by the push hook) or exits. */
function runChild(
  file: string,
  mode: 'write' | 'push' | 'final',
  killAfter = Number.POSITIVE_INFINITY,
): Promise<{ acked: string[]; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, file, url, mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    current = child;
    const acked: string[] = [];
    const lines: string[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (line.startsWith('inserted ') || line.startsWith('updated ')) acked.push(line);
      }
      if (acked.length >= killAfter) void killCurrent();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || (mode === 'final' && code === 0)) resolve({ acked, lines });
      else
        reject(new Error(`client exited with ${String(code)} (${mode}): ${stderr.slice(-2000)}`));
    });
  });
}

let observers = 0;

/** Checks the server against what the child acknowledged: each insert once, each update kept. */
async function checkServer(acked: readonly string[]): Promise<void> {
  const snapshot = await serverSnapshot(
    server,
    [items],
    { 'x-user': 'crash' },
    `observer-${(observers += 1)}`,
  );
  const rows = [...(snapshot.get('items')?.values() ?? [])] as { title: string; v: number }[];
  const count = new Map<string, number>();
  const value = new Map<string, number>();
  for (const row of rows) {
    count.set(row.title, (count.get(row.title) ?? 0) + 1);
    value.set(row.title, row.v);
  }
  const problems: string[] = [];
  for (const line of acked) {
    const [kind, title = '', v] = line.split(' ');
    if (kind === 'inserted' && count.get(title) !== 1)
      problems.push(`${title}: on the server ${count.get(title) ?? 0} times`);
    if (kind === 'updated' && !((value.get(title) ?? -1) >= Number(v)))
      problems.push(`${title}: v=${value.get(title)} on the server, acked update to ${v}`);
  }
  const duplicates = [...count].filter(([, n]) => n > 1);
  expect({ problems, duplicates }).toEqual({ problems: [], duplicates: [] });
}

describe('a real client process killed with SIGKILL while syncing over HTTP', () => {
  it(`keeps every acknowledged write, exactly once, across ${KILLS} kills during writes (seed ${SEED})`, async () => {
    const file = join(dir, 'writes.sqlite');
    const random = seededRandom(SEED);
    const acked: string[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const { acked: got } = await runChild(file, 'write', random.int(0, 25));
      acked.push(...got);
    }
    const { lines } = await runChild(file, 'final');
    expect(lines.at(-1)).toBe('done pending=0 dead=0');
    expect(acked.length).toBeGreaterThan(KILLS);
    await checkServer(acked);
  }, 240_000);

  it(`keeps every acknowledged write, exactly once, across ${KILLS} kills inside pushes (seed ${SEED})`, async () => {
    const file = join(dir, 'pushes.sqlite');
    const random = seededRandom(SEED + 1);
    const acked: string[] = [];
    const kinds = { before: 0, after: 0 };
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        let pushes = 0;
        const at = random.int(1, 4);
        const where = kill % 2 === 0 ? 'kill-before' : 'kill-after';
        onPush = () => (++pushes === at ? where : 'pass');
        const { acked: got } = await runChild(file, 'push');
        acked.push(...got);
        kinds[where === 'kill-before' ? 'before' : 'after'] += 1;
      }
    } finally {
      onPush = undefined;
    }
    const { lines } = await runChild(file, 'final');
    expect(lines.at(-1)).toBe('done pending=0 dead=0');
    expect(kinds).toEqual({ before: Math.ceil(KILLS / 2), after: Math.floor(KILLS / 2) });
    await checkServer(acked);
  }, 240_000);
});
