// W2 with its pull (issue 17): `n` records created offline, one `sync()` (push, then the pull
// that used to bring the client's own writes back), from a memory and a SQLite client against a
// fresh SQLite store over loopback HTTP. Prints one line per client kind: sync ms, and
// the pull's part of it (from the last push progress event).
// A/B: run it from two source trees in turn (ROUNDS rounds each).
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOffline, httpClient } from '../tidesync-sync.js';
import { startTidesyncServer } from '../tidesync-server.js';
import { todosCollection } from '../workload.js';

const n = Number(process.env.N ?? 10000);
for (const kind of ['memory', 'sqlite'] as const) {
  const dir = mkdtempSync(join(tmpdir(), 'w2echo-'));
  const server = await startTidesyncServer('sqlite', [todosCollection()], dir, undefined);
  const client = await httpClient(server.url, dir, kind);
  await createOffline(client, n);
  // The pull starts after the last push progress event.
  let pushEnd = 0;
  let pushCpu = process.cpuUsage();
  client.on('progress', (event) => {
    if (event.phase !== 'push') return;
    pushEnd = performance.now();
    pushCpu = process.cpuUsage();
  });
  const cpu = process.cpuUsage();
  const t = performance.now();
  const r = await client.sync();
  const end = performance.now();
  const ms = Math.round(end - t);
  const pullMs = Math.round(end - pushEnd);
  // CPU time (client and server share the process): steadier than wall time under load.
  const cpuMs = (u: NodeJS.CpuUsage) => Math.round((u.user + u.system) / 1000);
  const pushCpuMs = cpuMs(process.cpuUsage(cpu)) - cpuMs(process.cpuUsage(pushCpu));
  const pullCpuMs = cpuMs(process.cpuUsage(pushCpu));
  const load = loadavg()[0];
  console.log(JSON.stringify({ kind, ms, pullMs, pushCpuMs, pullCpuMs, pushed: r.pushed, load }));
  await client.close();
  await server.close();
}
