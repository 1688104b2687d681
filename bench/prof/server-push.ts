// A/B aid for the server's share of a push: CPU time of pushing N inserts (batches of BATCH) to a
// fresh SQLite server through `server.fetch` in this process, no HTTP and no client, REPS times
// after one warm-up push.
// SRC points at another checkout's src (an older commit) to compare; run both at the same time.
// `N=10000 REPS=5 npx tsx bench/prof/server-push.ts`, `SRC=/tmp/old/src npx tsx ...`
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { todoSchema } from '../workload.js';

const n = Number(process.env['N'] ?? 10000);
const reps = Number(process.env['REPS'] ?? 5);
const batch = Number(process.env['BATCH'] ?? 200);
// DROP=name,name: drops these indexes of the store's tables before the push (what an index
// costs to write; the store's reads may then scan).
const drop = (process.env['DROP'] ?? '').split(',').filter((name) => name !== '');
const src = process.env['SRC'] ?? new URL('../../src', import.meta.url).pathname;
type ServerModule = typeof import('../../src/server/index.js');
type CoreModule = typeof import('../../src/index.js');
const server = (await import(join(src, 'server/index.ts'))) as ServerModule;
const core = (await import(join(src, 'index.ts'))) as CoreModule;

const todos = core.defineCollection({
  name: 'todos',
  schema: todoSchema,
  conflict: core.fieldMerge(),
});

const hlc = (ms: number, counter: number): string =>
  `${String(ms).padStart(15, '0')}:${counter.toString(36).padStart(6, '0')}:benchclient1`;

/** CPU milliseconds of one push of `n` inserts to a fresh server. */
async function pushCpuMs(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'prof-server-'));
  const db = new Database(join(dir, 'server.db'));
  // As the bench's server (bench/tidesync-server.ts) opens its file.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const store = server.sqliteServerStore(db);
  await store.open();
  for (const index of drop) db.exec(`DROP INDEX IF EXISTS ${index}`);
  const sync = server.createSyncServer({
    collections: [todos],
    store,
    authorize: () => ({ userId: 'bench' }),
    onError: () => {},
  });
  const now = Date.now() - 1000;
  const ops = Array.from({ length: n }, (_, i) => ({
    opId: `op${String(i).padStart(8, '0')}`,
    collection: 'todos',
    id: `r${String(i).padStart(8, '0')}`,
    serverId: null,
    type: 'insert',
    baseVersion: 0,
    seq: i + 1,
    hlc: hlc(now, i),
    fieldClocks: {},
    data: {
      title: `todo ${String(i).padStart(7, '0')} `.padEnd(40, 'x'),
      done: i % 3 === 0,
      priority: i % 5,
      tags: ['home', 'work'],
    },
  }));
  const bodies = [];
  for (let i = 0; i < n; i += batch) {
    bodies.push(
      JSON.stringify({ protocol: 1, clientId: 'benchclient1', ops: ops.slice(i, i + batch) }),
    );
  }
  const cpu = process.cpuUsage();
  for (const body of bodies) {
    const response = await sync.fetch(
      new Request('http://bench.test/sync/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
    );
    if (response.status !== 200) throw new Error(`push answered ${response.status}`);
    await response.text();
  }
  const used = process.cpuUsage(cpu);
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return (used.user + used.system) / 1000;
}

const runs: number[] = [];
for (let i = 0; i < reps; i++) runs.push(Math.round(await pushCpuMs()));
const sorted = [...runs].sort((a, b) => a - b);
console.log(
  `server push cpu ms: ${runs.join(' ')} median ${sorted[Math.floor(sorted.length / 2)]}`,
);
