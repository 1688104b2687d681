import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOffline, httpClient } from './tidesync-sync.js';
import { startTidesyncServer } from './tidesync-server.js';
import { todosCollection } from './workload.js';
const dir = mkdtempSync(join(tmpdir(), 'pp-'));
const n = Number(process.argv[2]);
const server = await startTidesyncServer('sqlite', [todosCollection()], dir);
const client = await httpClient(server.url, dir, 'sqlite');
await createOffline(client, n);
let last = performance.now();
let lastDone = 0;
client.on('progress', (e: { phase: string; done: number }) => {
  if (e.phase === 'push' && e.done - lastDone >= 5000) {
    const now = performance.now();
    console.log('push', e.done, (((now - last) * 1000) / (e.done - lastDone)).toFixed(0), 'us/rec');
    last = now;
    lastDone = e.done;
  }
});
const t = performance.now();
await client.sync();
console.log('push total', n, (performance.now() - t).toFixed(0));
await client.close();
await server.close();
