// W1 `insertMany` on an SQLite file, for `node --cpu-prof`: N rows in one call, REPS times, each
// on a fresh file. `N=10000 REPS=5 npx tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/prof/w1many.ts`
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSyncClient, httpTransport } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { todoFields, todosCollection } from '../workload.js';

const n = Number(process.env['N'] ?? 10000);
const reps = Number(process.env['REPS'] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'prof-w1m-'));
const rows = Array.from({ length: n }, (_, i) => todoFields(i));
for (let r = 0; r < reps; r++) {
  const client = await createSyncClient({
    collections: [todosCollection()],
    storage: sqliteAdapter({ driver: betterSqlite3Driver(new Database(join(dir, `c${r}.db`))) }),
    transport: httpTransport({ url: 'http://127.0.0.1:9/sync' }),
    triggers: [],
  });
  const t = performance.now();
  await client.collection('todos').insertMany(rows);
  console.log(`insertMany ${n}: ${(performance.now() - t).toFixed(0)} ms`);
  await client.close();
}
rmSync(dir, { recursive: true, force: true });
