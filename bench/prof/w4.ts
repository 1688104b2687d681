// W4 broken down: the two-device conflict scenario of the bench (tidesyncConflicts) with wall
// and CPU time of each of the three timed syncs (A pushes, B pushes into conflicts and pulls,
// A pulls the merges). `N=1000 STRATEGY=fieldMerge ROUNDS=3 npx tsx bench/prof/w4.ts`; with
// `PROF=dir`, a CPU profile of each timed sync goes to `dir/<round>-<step>.cpuprofile`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SyncClient } from 'tidesync';
import { createOffline, httpClient } from '../tidesync-sync.js';
import { startTidesyncServer } from '../tidesync-server.js';
import { todosCollection } from '../workload.js';

const n = Number(process.env['N'] ?? 1000);
const rounds = Number(process.env['ROUNDS'] ?? 3);
const strategy = (process.env['STRATEGY'] ?? 'fieldMerge') as 'fieldMerge' | 'lastWriteWins';
const profDir = process.env['PROF'];
const session = profDir === undefined ? undefined : new Session();
session?.connect();
await session?.post('Profiler.enable');

/** Runs `work`, printing its wall and CPU milliseconds under `label`. */
async function measure(label: string, work: () => Promise<unknown>): Promise<number> {
  await session?.post('Profiler.start');
  const cpu = process.cpuUsage();
  const t = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - t;
  if (session && profDir !== undefined) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(profDir, `${label}.cpuprofile`), JSON.stringify(profile));
  }
  console.log(
    `${label} wall ${Math.round(wallMs)} ms cpu ${Math.round((used.user + used.system) / 1000)} ms`,
  );
  return wallMs;
}

for (let round = 1; round <= rounds; round++) {
  const dir = mkdtempSync(join(tmpdir(), 'w4-'));
  const server = await startTidesyncServer('sqlite', [todosCollection(strategy)], dir);
  const a = await httpClient(server.url, dir, 'sqlite', strategy);
  const b = await httpClient(server.url, dir, 'sqlite', strategy);
  await createOffline(a, n);
  await a.sync();
  await b.sync();
  const edit = async (c: SyncClient, change: (i: number, title: string) => object) => {
    const rows = await c.collection('todos').find({ orderBy: [['title', 'asc']] });
    for (const [i, r] of rows.entries())
      await c.collection('todos').update(r.id, change(i, String(r.title)));
  };
  await edit(a, (_i, title) => ({ title: `A ${title}` }));
  await edit(b, (i, title) => (i < n / 2 ? { done: true } : { title: `B ${title}` }));
  const total =
    (await measure(`${round}-a-push`, () => a.sync())) +
    (await measure(`${round}-b-conflicts`, () => b.sync())) +
    (await measure(`${round}-a-pull`, () => a.sync()));
  console.log(`${round} total wall ${Math.round(total)} ms`);
  await a.close();
  await b.close();
  await server.close();
}
