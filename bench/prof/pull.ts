// Profiling aid: one server with N records, then fresh replicas pull it REPS times.
// `N=10000 REPS=3 ADAPTER=memory npx tsx bench/prof/pull.ts`
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOffline, httpClient } from '../tidesync-sync.js';
import { startTidesyncServer } from '../tidesync-server.js';
import { todosCollection } from '../workload.js';

const n = Number(process.env['N'] ?? 10000);
const reps = Number(process.env['REPS'] ?? 3);
const adapter = (process.env['ADAPTER'] ?? 'memory') as 'memory' | 'sqlite';
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const server = await startTidesyncServer('sqlite', [todosCollection()], dir);
const writer = await httpClient(server.url, dir, 'memory');
await createOffline(writer, n);
await writer.sync();
await writer.close();
for (let i = 0; i < reps; i++) {
  const client = await httpClient(server.url, dir, adapter);
  const t = performance.now();
  const r = await client.sync();
  console.log('pull', adapter, r.pulled, Math.round(performance.now() - t), 'ms');
  await client.close();
}
await server.close();
