// W1 on an SQLite file, timed per statement: 10,000 inserts one at a time with each SQL
// statement's time summed by text, against the whole loop. `N=10000 npx tsx bench/prof/w1time.ts`
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSyncClient, httpTransport } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { todoFields, todosCollection } from '../workload.js';

const n = Number(process.env['N'] ?? 10000);
const dir = mkdtempSync(join(tmpdir(), 'prof-w1t-'));
const driver = betterSqlite3Driver(new Database(join(dir, 'c.db')));
const times = new Map<string, { n: number; ms: number }>();
let on = false;
for (const name of ['exec', 'run', 'get', 'all'] as const) {
  const orig = driver[name].bind(driver) as (...a: unknown[]) => Promise<unknown>;
  (driver as unknown as Record<string, unknown>)[name] = async (sql: string, p?: unknown) => {
    const t = performance.now();
    const r = await orig(sql, p);
    if (on) {
      const key = `${name} ${sql.slice(0, 70).replace(/\s+/g, ' ')}`;
      const c = times.get(key) ?? { n: 0, ms: 0 };
      c.n++;
      c.ms += performance.now() - t;
      times.set(key, c);
    }
    return r;
  };
}
const client = await createSyncClient({
  collections: [todosCollection()],
  storage: sqliteAdapter({ driver }),
  transport: httpTransport({ url: 'http://127.0.0.1:9/sync' }),
  triggers: [],
});
const todos = client.collection('todos');
on = true;
const t = performance.now();
for (let i = 0; i < n; i++) await todos.insert(todoFields(i));
const total = performance.now() - t;
on = false;
let inSql = 0;
for (const [key, v] of [...times].sort((a, b) => b[1].ms - a[1].ms)) {
  inSql += v.ms;
  console.log(String(v.n).padStart(7), v.ms.toFixed(0).padStart(6), 'ms', key);
}
console.log(`${n} inserts: ${total.toFixed(0)} ms, ${inSql.toFixed(0)} ms in SQL statements`);
await client.close();
rmSync(dir, { recursive: true, force: true });
