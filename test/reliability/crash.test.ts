// S2 / S5 over the wire: a real client process on an SQLite file syncing to a real HTTP server
// is killed with SIGKILL (a real process kill, not an injected exception) during local writes
// and during pushes: before a push request is sent (the child waits for the parent's go before
// each push, and is killed instead; the server never sees that request), and after the server
// applied a batch but before its answer reaches the client. Every push kill follows local acks
// of the child, and an "after" kill follows a 200 from the server. After a restart and a final
// sync the server holds every write the child acknowledged, exactly once (I1, I2, I3).
// TIDESYNC_CRASH_KILLS kills per test, TIDESYNC_CRASH_SEED replays (printed in the names).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection } from 'tidesync';
import { createSyncServer, sqliteServerStore, type SyncServer } from 'tidesync/server';
import { seededRandom, serverSnapshot } from 'tidesync/testing';
import { bundleFixture, removeBundle, runBundle } from './child-process.js';

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
/** Push requests that reached the server during the current child run. */
let serverPushes = 0;
/** Set by a test: kill the child once the server has answered this push request (1-based). */
let killAfterPush: number | undefined;
/** The HTTP status of the answer the child was killed before reading. */
let killedAfterStatus: number | undefined;
let current: ChildProcess | undefined;
/** The listener's open connections (from the child: the observer reads in-process). */
const sockets = new Set<Socket>();
/** Resolves once every connection is closed: every byte a dead child sent has been read. */
function connectionsClosed(): Promise<unknown> {
  return Promise.all(
    [...sockets].map((s) => (s.closed ? undefined : new Promise((r) => s.once('close', r)))),
  );
}
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
  bundle = await bundleFixture(fixture, 'crash-sync-client');
  serverDb = new Database(join(dir, 'server.sqlite'));
  serverDb.pragma('journal_mode = WAL');
  server = createSyncServer({
    collections: [items],
    store: sqliteServerStore(serverDb),
    authorize: (request) => ({ userId: request.headers.get('x-user') ?? 'anon' }),
    onError: () => undefined,
  });
  listener = http.createServer((req, res) => {
    const push = req.url?.endsWith('/push') === true;
    if (push) serverPushes += 1;
    if (push && serverPushes === killAfterPush) {
      // The server applies the batch; the client dies before it can read the answer.
      const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
      res.end = ((...args: unknown[]) => {
        killedAfterStatus = res.statusCode;
        void killCurrent().then(() => end(...args));
        return res;
      }) as typeof res.end;
    }
    server.nodeHandler(req, res);
  });
  listener.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/sync`;
});

afterAll(async () => {
  await killCurrent();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  serverDb.close();
  rmSync(dir, { recursive: true, force: true });
  removeBundle(bundle);
});

/**
 * Runs the child until it is killed (by `killAfter` acks, by `onPush`, or by the server hook)
 * or exits. In `push` mode `onPush(n)` is asked before the child sends its nth push: `go` lets
 * it send, `kill` kills it before the request exists.
 */
async function runChild(
  file: string,
  mode: 'write' | 'push' | 'final',
  killAfter = Number.POSITIVE_INFINITY,
  onPush: (n: number) => 'go' | 'kill' = () => 'go',
): Promise<{ acked: string[]; lines: string[] }> {
  const acked: string[] = [];
  const run = await runBundle(bundle, [file, url, mode], (line, child) => {
    current = child;
    if (line.startsWith('inserted ') || line.startsWith('updated ')) acked.push(line);
    if (acked.length >= killAfter) void killCurrent();
    if (line.startsWith('push ')) {
      if (onPush(Number(line.slice('push '.length))) === 'kill') void killCurrent();
      else child.stdin?.write('go\n');
    }
  });
  if (run.signal === 'SIGKILL' || (mode === 'final' && run.code === 0)) {
    return { acked, lines: run.lines };
  }
  throw new Error(`client exited with ${String(run.code)} (${mode}): ${run.stderr}`);
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
    const kills: string[] = [];
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        const at = random.int(1, 4);
        const before = kill % 2 === 0;
        serverPushes = 0;
        killedAfterStatus = undefined;
        killAfterPush = before ? undefined : at;
        let reachedAtKill: number | undefined;
        const { acked: got } = await runChild(file, 'push', Number.POSITIVE_INFINITY, (n) => {
          if (!before || n !== at) return 'go';
          reachedAtKill = serverPushes;
          return 'kill';
        });
        acked.push(...got);
        // Any request the dead child had sent is read (and counted) before its socket closes.
        await connectionsClosed();
        // What this kill tested: the child had acknowledged writes; a kill before the send
        // came with the request not sent (the server saw the earlier pushes only, then and
        // after); a kill after the answer came once the server had answered 200.
        kills.push(
          before
            ? `before push ${at}: acked ${got.length > 0}, server saw ${reachedAtKill}/${serverPushes}`
            : `after push ${at}: acked ${got.length > 0}, answered ${killedAfterStatus}`,
        );
      }
    } finally {
      killAfterPush = undefined;
    }
    const { lines } = await runChild(file, 'final');
    expect(lines.at(-1)).toBe('done pending=0 dead=0');
    const replay = seededRandom(SEED + 1);
    expect(kills).toEqual(
      Array.from({ length: KILLS }, (_, kill) => {
        const at = replay.int(1, 4);
        return kill % 2 === 0
          ? `before push ${at}: acked true, server saw ${at - 1}/${at - 1}`
          : `after push ${at}: acked true, answered 200`;
      }),
    );
    await checkServer(acked);
  }, 240_000);
});
