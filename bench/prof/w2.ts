import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpClient, createOffline } from '../tidesync-sync.js';
import { startTidesyncServer } from '../tidesync-server.js';
import { todosCollection } from '../workload.js';

const n = Number(process.env.N ?? 10000);
const store = (process.env.STORE ?? 'sqlite') as 'sqlite' | 'postgres';
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const server = await startTidesyncServer(
  store,
  [todosCollection()],
  dir,
  process.env.TIDESYNC_PG_URL,
);
const client = await httpClient(server.url, dir);
await createOffline(client, n);
let t = performance.now();
const r = await client.sync();
console.log('push', r.pushed, Math.round(performance.now() - t), 'ms');
await client.close();
for (const kind of ['memory', 'sqlite'] as const) {
  const c2 = await httpClient(server.url, dir, kind);
  t = performance.now();
  const r2 = await c2.sync();
  console.log('pull', kind, r2.pulled, Math.round(performance.now() - t), 'ms');
  await c2.close();
}
await server.close();
