// Round trips of a push to the Postgres store: every query the server sends, counted by its
// first words, for one push of N records (SQLite client, HTTP). `N=10000 npx tsx
// bench/prof/pgcount.ts` (needs TIDESYNC_PG_URL).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createOffline, httpClient } from '../tidesync-sync.js';
import { startTidesyncServer } from '../tidesync-server.js';
import { todosCollection } from '../workload.js';

const n = Number(process.env['N'] ?? 10000);
const counts = new Map<string, { n: number; ms: number }>();
let on = false;
const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string })?.text);
  const started = performance.now();
  const out = query.apply(this, args);
  if (on && out instanceof Promise) {
    const key = text.replace(/\s+/g, ' ').slice(0, 80);
    void out.then(
      () => {
        const c = counts.get(key) ?? { n: 0, ms: 0 };
        c.n += 1;
        c.ms += performance.now() - started;
        counts.set(key, c);
      },
      () => undefined,
    );
  }
  return out;
} as typeof pg.Client.prototype.query;

const dir = mkdtempSync(join(tmpdir(), 'prof-pg-'));
const server = await startTidesyncServer(
  'postgres',
  [todosCollection()],
  dir,
  process.env['TIDESYNC_PG_URL'],
);
const client = await httpClient(server.url, dir);
await createOffline(client, n);
on = true;
const t = performance.now();
await client.sync();
const ms = performance.now() - t;
on = false;
let total = 0;
let inPg = 0;
for (const [key, c] of [...counts].sort((a, b) => b[1].n - a[1].n)) {
  total += c.n;
  inPg += c.ms;
  console.log(String(c.n).padStart(6), c.ms.toFixed(0).padStart(6), 'ms', key);
}
console.log(
  `push and pull of ${n}: ${ms.toFixed(0)} ms, ${total} queries, ${inPg.toFixed(0)} ms awaiting them`,
);
await client.close();
await server.close();
