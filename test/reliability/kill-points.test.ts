// S3 and S4 under a real process kill: a client process on an SQLite file SIGKILLs itself at
// its Nth storage call of one sync (fixtures/kill-points-client.ts), inside the open
// transaction, so none of the library's rollback or close code runs and the next open recovers
// from SQLite's journal. S3: while it applies pull pages. S4: around the server-id remap
// (server-minted ids, a parent and three children referencing it written offline). Then the
// test process reopens the file as the restarted app and syncs. The points, out of the storage
// calls of a clean sync: the first call of every transaction (a kill between two commits), the
// last call, and a seeded sample of TIDESYNC_CRASH_KILLS others (default 6; every call when it
// is at least their number); TIDESYNC_CRASH_SEED replays the sample (printed in the test name). The injected-exception suites
// (pull-crash, id-remap-crash) cover every call, but a throw that the library rolls back.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, type PullResponse } from 'tidesync';
import type { SyncServer } from 'tidesync/server';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { randomSeed, seededRandom } from 'tidesync/testing';
import { bundleFixture, removeBundle, runBundle } from './child-process.js';
import { clientOn, serverView, userTransport } from './fault-helpers.js';
import { makeServer } from '../client/sync-helpers.js';

const KILLS = Number(process.env['TIDESYNC_CRASH_KILLS'] ?? 6);
const SEED = Number(process.env['TIDESYNC_CRASH_SEED'] ?? randomSeed());
const fixture = fileURLToPath(new URL('./fixtures/kill-points-client.ts', import.meta.url));
const RECORDS = 20;
const PAGE = 5;
const CURSOR_KEY = 'pull.cursor';

const notes = defineCollection({ name: 'notes', schema: z.object({ n: z.number() }) });
const projects = defineCollection({ name: 'projects', schema: z.object({ name: z.string() }) });
const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string(), projectId: z.string().nullable() }),
  references: { projectId: 'projects' },
});

let dir: string;
let bundle: string;
const listeners: http.Server[] = [];
let files = 0;
const freshFile = () => join(dir, `client-${(files += 1)}.sqlite`);

/** Serves `server` over HTTP on 127.0.0.1; resolves with its sync URL. */
async function listen(server: SyncServer): Promise<string> {
  const listener = http.createServer((req, res) => server.nodeHandler(req, res));
  listeners.push(listener);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(listener.address() as AddressInfo).port}/sync`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidesync-kill-points-'));
  bundle = await bundleFixture(fixture, 'kill-points-client');
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => new Promise((resolve) => l.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
  removeBundle(bundle);
});

/** Runs the child once; `killAt` 0 runs a clean sync and resolves with its storage calls. */
async function runClient(
  scenario: 'pull' | 'remap',
  file: string,
  url: string,
  user: string,
  killAt: number,
): Promise<{ calls: number; starts: number[]; written: string | undefined }> {
  const run = await runBundle(bundle, [scenario, file, url, user, String(killAt)]);
  const written = run.lines.find((l) => l.startsWith('written '))?.slice('written '.length);
  if (killAt > 0) {
    if (run.signal !== 'SIGKILL') {
      throw new Error(`${scenario}: not killed at call ${killAt} (${run.code}): ${run.stderr}`);
    }
    return { calls: killAt, starts: [], written };
  }
  const value = (name: string) =>
    run.lines.find((l) => l.startsWith(`${name} `))?.slice(name.length + 1) ?? '';
  const calls = Number(value('calls'));
  const starts = value('starts').split(',').map(Number);
  if (run.code !== 0 || !(calls > 0))
    throw new Error(`${scenario}: clean run failed: ${run.stderr}`);
  return { calls, starts, written };
}

/**
 * The kill points out of 1..total: every transaction's first call (`starts`), the last call,
 * and a seeded sample of `kills` others (all of them when `kills` covers the rest).
 */
function killPoints(
  total: number,
  starts: readonly number[],
  kills: number,
  seed: number,
): number[] {
  const points = new Set([...starts, total]);
  const rest = Array.from({ length: total }, (_, i) => i + 1).filter((p) => !points.has(p));
  const random = seededRandom(seed);
  for (let k = 0; k < kills && rest.length > 0; k++) {
    points.add(rest.splice(random.int(0, rest.length - 1), 1)[0]!);
  }
  return [...points].sort((a, b) => a - b);
}

/** The restarted app: the test process opens the killed child's file. */
function reopen(file: string): {
  db: Database.Database;
  storage: ReturnType<typeof sqliteAdapter>;
} {
  const db = new Database(file);
  return { db, storage: sqliteAdapter({ driver: betterSqlite3Driver(db) }) };
}

describe('a client process SIGKILLed at a storage call of a sync, on an SQLite file', () => {
  it(`S3: pages and their cursor survive whole or not at all; the next sync completes (seed ${SEED})`, async () => {
    const server = makeServer([notes]);
    const writer = await clientOn(
      [notes],
      sqliteAdapter({ driver: betterSqlite3Driver(new Database(':memory:')) }),
      userTransport(server, () => 'reader'),
    );
    for (let n = 0; n < RECORDS; n += 1) await writer.collection('notes').insert({ n });
    await writer.sync();
    await writer.close();
    const url = await listen(server);
    const transport = userTransport(server, () => 'reader');
    const { calls: total, starts } = await runClient('pull', freshFile(), url, 'reader', 0);
    expect(total).toBeGreaterThan(RECORDS);
    // An empty push's reads, then one transaction per page (each ending with its cursor).
    expect(starts.length).toBeGreaterThan(RECORDS / PAGE);
    const points = killPoints(total, starts, KILLS, SEED);
    const problems: string[] = [];
    for (const point of points) {
      const file = freshFile();
      await runClient('pull', file, url, 'reader', point);
      const { db, storage } = reopen(file);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      // After the kill: whole pages only, and the cursor covers exactly what is stored.
      const { stored, cursor } = await storage.transaction('readonly', async (tx) => ({
        stored: (await tx.listRecords('notes')).map((r) => r.data['n'] as number),
        cursor: (await tx.getMeta(CURSOR_KEY)) ?? null,
      }));
      const wantCursor =
        stored.length === 0
          ? null
          : (
              (await transport.send('pull', {
                protocol: 1,
                clientId: `probe-${point}`,
                cursor: null,
                limit: stored.length,
              })) as PullResponse
            ).cursor;
      const restarted = await clientOn([notes], storage, transport, { pullPageSize: PAGE });
      await restarted.sync();
      const rows = await restarted.collection('notes').find();
      const got = {
        wholePages: stored.length % PAGE === 0,
        cursor: cursor === wantCursor,
        after: rows.map((r) => r['n']).sort((a, b) => Number(a) - Number(b)),
        distinct: new Set(rows.map((r) => r.serverId)).size,
        synced: rows.every((r) => r.syncStatus === 'synced'),
        pending: (await restarted.pendingOps()).length,
      };
      await restarted.close();
      const want = {
        wholePages: true,
        cursor: true,
        after: Array.from({ length: RECORDS }, (_, n) => n),
        distinct: RECORDS,
        synced: true,
        pending: 0,
      };
      if (JSON.stringify(got) !== JSON.stringify(want))
        problems.push(
          `kill at call ${point} of ${total} (${stored.length} stored): ${JSON.stringify(got)}`,
        );
    }
    console.info(`S3 kill points (${points.length} of ${total} calls):`, points.join(' '));
    expect(problems).toEqual([]);
  }, 240_000);

  it(`S4: a kill around the server-id remap is redone after the restart, one parent row, references remapped (seed ${SEED})`, async () => {
    const collections = [projects, todos];
    const server = makeServer(collections, 'server');
    const url = await listen(server);
    const { calls: total, starts } = await runClient('remap', freshFile(), url, 'remap-clean', 0);
    expect(total).toBeGreaterThan(20);
    expect(starts.length).toBeGreaterThan(2);
    const points = killPoints(total, starts, KILLS, SEED + 1);
    const problems: string[] = [];
    for (const point of points) {
      const file = freshFile();
      const user = `remap-${point}`;
      const { written: tempId } = await runClient('remap', file, url, user, point);
      const { db, storage } = reopen(file);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const restarted = await clientOn(
        collections,
        storage,
        userTransport(server, () => user),
      );
      await restarted.sync();
      await restarted.sync();
      const onServer = await serverView(collections, server, user, 'projects');
      const parentId = onServer[0]?.['serverId'];
      const serverTodos = await serverView(collections, server, user, 'todos');
      const local = await storage.transaction('readonly', async (tx) => ({
        projects: await tx.listRecords('projects'),
        todos: await tx.listRecords('todos'),
        ops: await tx.listOps(),
      }));
      const got = {
        serverProjects: onServer.map((p) => p['name']),
        serverIdIsNew: parentId !== undefined && parentId !== tempId,
        serverTodos: serverTodos.map((t) => [t['title'], t['projectId'] === parentId]).sort(),
        localProject: local.projects.map((p) => [
          p.id === tempId,
          p.serverId === parentId,
          p.syncStatus,
        ]),
        localTodos: local.todos.map((t) => [t.data['projectId'] === parentId, t.syncStatus]),
        ops: local.ops.length,
        dead: (await restarted.deadLetters()).length,
      };
      await restarted.close();
      const want = {
        serverProjects: ['trip 2'],
        serverIdIsNew: true,
        serverTodos: [
          ['book', true],
          ['go', true],
          ['pack', true],
        ],
        localProject: [[true, true, 'synced']],
        localTodos: Array.from({ length: 3 }, () => [true, 'synced']),
        ops: 0,
        dead: 0,
      };
      if (JSON.stringify(got) !== JSON.stringify(want))
        problems.push(`kill at call ${point} of ${total}: ${JSON.stringify(got)}`);
    }
    console.info(`S4 kill points (${points.length} of ${total} calls):`, points.join(' '));
    expect(problems).toEqual([]);
  }, 240_000);
});
