// W1 on an SQLite file in CPU time (user + system of this process), which a loaded machine
// inflates less than wall time: N inserts one at a time and an insertMany of N, REPS times on
// fresh files; medians. `N=5000 REPS=3 npx tsx bench/prof/w1cpu.ts`
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSyncClient, httpTransport } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { median, todoFields, todosCollection } from '../workload.js';

const n = Number(process.env['N'] ?? 5000);
const reps = Number(process.env['REPS'] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'prof-w1cpu-'));
const rows = Array.from({ length: n }, (_, i) => todoFields(i));
const cpuMs = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};
const insert: number[] = [];
const many: number[] = [];
for (let r = 0; r < reps; r++) {
  for (const kind of ['insert', 'many'] as const) {
    const client = await createSyncClient({
      collections: [todosCollection()],
      storage: sqliteAdapter({
        driver: betterSqlite3Driver(new Database(join(dir, `${kind}${r}.db`))),
      }),
      transport: httpTransport({ url: 'http://127.0.0.1:9/sync' }),
      triggers: [],
    });
    const todos = client.collection('todos');
    const start = process.cpuUsage();
    if (kind === 'insert') for (const row of rows) await todos.insert(row);
    else await todos.insertMany(rows);
    (kind === 'insert' ? insert : many).push(cpuMs(start));
    await client.close();
  }
}
rmSync(dir, { recursive: true, force: true });
const f = (list: number[]) => list.map((x) => x.toFixed(0)).join(' ');
console.log(
  `cpu: ${n} inserts ${median(insert).toFixed(0)} ms (${f(insert)}); insertMany ${median(many).toFixed(0)} ms (${f(many)})`,
);
