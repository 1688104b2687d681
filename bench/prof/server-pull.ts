// A/B aid for the server's share of a pull: CPU time of one client's whole pull (pages of 500,
// from no cursor) of N records from a SQLite server through `server.fetch`, no HTTP and no
// client. SRCS: comma-separated checkouts' src folders, each with its own server holding the same
// records; their pulls run in turn, ROUNDS times, so a loaded machine's noise hits all alike
// (each round starting with the next one). Prints each one's min and median CPU ms, and the
// median of its per-round difference to the first checkout's.
// `SRCS=/work/wt/perf-base/src,src N=10000 ROUNDS=9 npx tsx bench/prof/server-pull.ts`
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { todoSchema } from '../workload.js';

const n = Number(process.env['N'] ?? 10000);
const rounds = Number(process.env['ROUNDS'] ?? 9);
const srcs = (process.env['SRCS'] ?? 'src').split(',').map((dir) => resolve(dir));
type ServerModule = typeof import('../../src/server/index.js');
type CoreModule = typeof import('../../src/index.js');

const hlc = (ms: number, counter: number): string =>
  `${String(ms).padStart(15, '0')}:${counter.toString(36).padStart(6, '0')}:benchclient1`;

/** POSTs `body` to the server's `kind` endpoint and returns the parsed answer. */
async function post(sync: { fetch(r: Request): Promise<Response> }, kind: string, body: unknown) {
  const response = await sync.fetch(
    new Request(`http://bench.test/sync/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
  if (response.status !== 200) throw new Error(`${kind} answered ${response.status}`);
  return (await response.json()) as { cursor: string; hasMore: boolean };
}

/** A server of `src` holding `n` records; its `pull()` pulls them all as a new client. */
async function serverOf(src: string) {
  const server = (await import(join(src, 'server/index.ts'))) as ServerModule;
  const core = (await import(join(src, 'index.ts'))) as CoreModule;
  const todos = core.defineCollection({
    name: 'todos',
    schema: todoSchema,
    conflict: core.fieldMerge(),
  });
  const dir = mkdtempSync(join(tmpdir(), 'prof-server-pull-'));
  const db = new Database(join(dir, 'server.db'));
  const sync = server.createSyncServer({
    collections: [todos],
    store: server.sqliteServerStore(db),
    authorize: () => ({ userId: 'bench' }),
    onError: () => {},
  });
  const now = Date.now() - 1000;
  for (let i = 0; i < n; i += 200) {
    const ops = Array.from({ length: Math.min(200, n - i) }, (_, k) => ({
      opId: `op${String(i + k).padStart(8, '0')}`,
      collection: 'todos',
      id: `r${String(i + k).padStart(8, '0')}`,
      serverId: null,
      type: 'insert',
      baseVersion: 0,
      seq: i + k + 1,
      hlc: hlc(now, i + k),
      fieldClocks: {},
      data: {
        title: `todo ${String(i + k).padStart(7, '0')} `.padEnd(40, 'x'),
        done: (i + k) % 3 === 0,
        priority: (i + k) % 5,
        tags: ['home', 'work'],
      },
    }));
    await post(sync, 'push', { protocol: 1, clientId: 'benchclient1', ops });
  }
  let clients = 0;
  return {
    async pull(): Promise<number> {
      clients += 1;
      const clientId = `puller${String(clients).padStart(6, '0')}`;
      const cpu = process.cpuUsage();
      let cursor: string | null = null;
      for (;;) {
        const page = await post(sync, 'pull', { protocol: 1, clientId, cursor, limit: 500 });
        cursor = page.cursor;
        if (!page.hasMore) break;
      }
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / 1000;
    },
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const servers = [];
for (const src of srcs) servers.push(await serverOf(src));
for (const server of servers) await server.pull(); // warm-up
const cpus: number[][] = srcs.map(() => []);
for (let round = 0; round < rounds; round++) {
  // Each round starts with the next checkout, so none always runs right after the same one.
  for (let k = 0; k < servers.length; k++) {
    const index = (round + k) % servers.length;
    cpus[index]!.push(await servers[index]!.pull());
  }
}
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
};
for (const [index, src] of srcs.entries()) {
  const own = cpus[index]!;
  // Paired with the first checkout's pull of the same round: the load of that moment cancels.
  const paired =
    index === 0
      ? ''
      : ` paired vs first ${median(own.map((cpu, r) => cpu - cpus[0]![r]!)).toFixed(1)} ms`;
  console.log(
    `${src}: server pull of ${n} cpu min ${Math.round(Math.min(...own))} median ${Math.round(median(own))} ms${paired}`,
  );
  servers[index]!.close();
}
