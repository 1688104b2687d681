import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSyncClient, httpTransport } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { createOffline } from '../tidesync-sync.js';
import { startTidesyncServer } from '../tidesync-server.js';
import { todosCollection } from '../workload.js';
const n = Number(process.env.N ?? 10000);
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const server = await startTidesyncServer('sqlite', [todosCollection()], dir);
const d = betterSqlite3Driver(new Database(join(dir, 'c.db')));
const counts = new Map<string, { n: number; ms: number }>();
let on = false;
const wrap = (name: 'exec' | 'run' | 'get' | 'all') => {
  const orig = d[name].bind(d) as (...a: unknown[]) => Promise<unknown>;
  (d as unknown as Record<string, unknown>)[name] = async (sql: string, p?: unknown) => {
    const t = performance.now();
    const r = await orig(sql, p);
    if (on) {
      const k = `${name} ${sql.slice(0, 90).replace(/\s+/g, ' ')}`;
      const c = counts.get(k) ?? { n: 0, ms: 0 };
      c.n++;
      c.ms += performance.now() - t;
      counts.set(k, c);
    }
    return r;
  };
};
(['exec', 'run', 'get', 'all'] as const).forEach(wrap);
const client = await createSyncClient({
  collections: [todosCollection()],
  storage: sqliteAdapter({ driver: d }),
  transport: httpTransport({ url: server.url }),
  triggers: [],
});
await createOffline(client, n);
on = true;
const t = performance.now();
await client.sync();
console.log('push', Math.round(performance.now() - t));
for (const [k, v] of [...counts].sort((a, b) => b[1].ms - a[1].ms))
  console.log(String(v.n).padStart(6), v.ms.toFixed(0).padStart(6), 'ms', k);
await client.close();
await server.close();
