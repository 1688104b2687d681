// W3 in a fresh process, profiled: seeds a SQLite-store server with N records (in this
// process), then runs the bench's pull child (bench/pull-child.ts, bundled as the bench does)
// REPS times with `--cpu-prof` into `PROF` (default a temp dir), printing each pull's time.
// `N=10000 REPS=2 KIND=tidesync-memory npx tsx bench/prof/w3child.ts` (`PROF=none`: timed
// without profiles)
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childBundle } from '../pull-in-child.js';
import { createOffline, httpClient } from '../tidesync-sync.js';
import { startTidesyncServer } from '../tidesync-server.js';
import { todosCollection } from '../workload.js';

const n = Number(process.env['N'] ?? 10000);
const reps = Number(process.env['REPS'] ?? 2);
const kind = process.env['KIND'] ?? 'tidesync-memory';
const dir = mkdtempSync(join(tmpdir(), 'w3child-'));
const profDir = process.env['PROF'] ?? mkdtempSync(join(tmpdir(), 'w3prof-'));
const outfile = await childBundle();
const server = await startTidesyncServer('sqlite', [todosCollection()], dir);
const writer = await httpClient(server.url, dir, 'sqlite');
await createOffline(writer, n);
await writer.sync();
await writer.close();
for (let i = 0; i < reps; i++) {
  // The child must not block this process's server: run it asynchronously.
  const out = await new Promise<string>((resolve, reject) => {
    const profile = profDir === 'none' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
    const child = spawn(process.execPath, [...profile, outfile, kind, server.url]);
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('error', reject);
    child.on('exit', () => resolve(text));
  });
  console.log(kind, out.trim());
}
console.log('profiles in', profDir);
await server.close();
