// A/B aid on a loaded machine: wall and CPU time (this process: client and server both) of one
// push of N records (SQLite server, SQLite client), then of REPS fresh pulls into memory.
// CPU time moves less than wall time with other processes' load.
// `N=10000 REPS=3 npx tsx bench/prof/cpu.ts` (`BATCH=50`: that push batch size instead of the
// default; `STORE=postgres`: a Postgres store at TIDESYNC_PG_URL instead of SQLite); with `PROF=dir`, a CPU profile of each measured
// step only (not the setup) goes to `dir/<label>-<n>.cpuprofile`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOffline, httpClient } from '../tidesync-sync.js';
import { startTidesyncServer } from '../tidesync-server.js';
import { todosCollection } from '../workload.js';

const n = Number(process.env['N'] ?? 10000);
const reps = Number(process.env['REPS'] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const profDir = process.env['PROF'];
const session = profDir === undefined ? undefined : new Session();
session?.connect();
await session?.post('Profiler.enable');
let step = 0;
const storeKind = process.env['STORE'] === 'postgres' ? 'postgres' : 'sqlite';
const server = await startTidesyncServer(
  storeKind,
  [todosCollection()],
  dir,
  process.env['TIDESYNC_PG_URL'],
);

/** Runs `work`, printing its wall and CPU milliseconds under `label`. */
async function measure(label: string, work: () => Promise<unknown>): Promise<void> {
  await session?.post('Profiler.start');
  const cpu = process.cpuUsage();
  const t = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  if (session && profDir !== undefined) {
    const { profile } = await session.post('Profiler.stop');
    step += 1;
    writeFileSync(join(profDir, `${label}-${step}.cpuprofile`), JSON.stringify(profile));
  }
  const wallMs = Math.round(performance.now() - t);
  const cpuMs = Math.round((used.user + used.system) / 1000);
  console.log(`${label} wall ${wallMs} ms cpu ${cpuMs} ms`);
}

const writer = await httpClient(server.url, dir, 'sqlite');
await createOffline(writer, n);
await measure('push', () => writer.sync());
await writer.close();
for (let i = 0; i < reps; i++) {
  const client = await httpClient(server.url, dir, 'memory');
  await measure('pull', () => client.sync());
  await client.close();
}
await server.close();
