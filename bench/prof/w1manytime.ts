// W1 `insertMany` on an SQLite file, timed per statement: N rows in one call, REPS times on fresh
// files, each SQL statement's time summed by text. `N=10000 REPS=5 npx tsx bench/prof/w1manytime.ts`
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSyncClient, httpTransport } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { todoFields, todosCollection } from '../workload.js';

const n = Number(process.env['N'] ?? 10000);
const reps = Number(process.env['REPS'] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'prof-w1mt-'));
const rows = Array.from({ length: n }, (_, i) => todoFields(i));
const times = new Map<string, { n: number; ms: number }>();
let on = false;
let total = 0;
for (let r = 0; r < reps; r++) {
  const driver = betterSqlite3Driver(new Database(join(dir, `c${r}.db`)));
  for (const name of ['exec', 'run', 'get', 'all'] as const) {
    const orig = driver[name].bind(driver) as (...a: unknown[]) => Promise<unknown>;
    (driver as unknown as Record<string, unknown>)[name] = async (sql: string, p?: unknown) => {
      const t = performance.now();
      const result = await orig(sql, p);
      if (on) {
        const key = `${name} ${sql.slice(0, 70).replace(/\s+/g, ' ')}`;
        const c = times.get(key) ?? { n: 0, ms: 0 };
        c.n++;
        c.ms += performance.now() - t;
        times.set(key, c);
      }
      return result;
    };
  }
  const client = await createSyncClient({
    collections: [todosCollection()],
    storage: sqliteAdapter({ driver }),
    transport: httpTransport({ url: 'http://127.0.0.1:9/sync' }),
    triggers: [],
  });
  on = true;
  const t = performance.now();
  await client.collection('todos').insertMany(rows);
  total += performance.now() - t;
  on = false;
  await client.close();
}
let inSql = 0;
for (const [key, v] of [...times].sort((a, b) => b[1].ms - a[1].ms)) {
  inSql += v.ms;
  console.log((v.n / reps).toFixed(0).padStart(7), (v.ms / reps).toFixed(1).padStart(7), 'ms', key);
}
console.log(
  `insertMany ${n}, mean of ${reps}: ${(total / reps).toFixed(0)} ms, ${(inSql / reps).toFixed(0)} ms in SQL`,
);
rmSync(dir, { recursive: true, force: true });
