// What the number of b-trees an insert touches costs on an SQLite file, in raw better-sqlite3
// (WAL, synchronous=NORMAL, as W1): N autocommit inserts into a table with 0 to 4 extra indexes
// (each a b-tree, so about one more WAL page per commit), interleaved over RUNS runs, medians.
// `N=10000 RUNS=3 npx tsx bench/prof/w1btrees.ts`
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { median, todoDoc } from '../workload.js';

const n = Number(process.env['N'] ?? 10000);
const runs = Number(process.env['RUNS'] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'prof-w1b-'));
const docs = Array.from({ length: n }, (_, i) => todoDoc(i));
const times = new Map<number, number[]>();
let file = 0;
for (let r = 0; r < runs; r++) {
  for (let extra = 0; extra <= 4; extra++) {
    const db = new Database(join(dir, `b${++file}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE rows (id TEXT PRIMARY KEY, a TEXT, b TEXT, c TEXT, d TEXT, body TEXT)');
    for (let i = 0; i < extra; i++) db.exec(`CREATE INDEX rows_${i} ON rows (${'abcd'[i]})`);
    const insert = db.prepare('INSERT INTO rows (id, a, b, c, d, body) VALUES (?, ?, ?, ?, ?, ?)');
    const t = performance.now();
    for (const d of docs)
      insert.run(d.id, `a${d.id}`, `b${d.id}`, `c${d.id}`, `d${d.id}`, JSON.stringify(d));
    const list = times.get(extra) ?? [];
    list.push(performance.now() - t);
    times.set(extra, list);
    db.close();
  }
}
const base = median(times.get(0)!);
for (const [extra, list] of times) {
  const m = median(list);
  console.log(
    `${extra + 2} b-trees: ${m.toFixed(0)} ms (${(m / base).toFixed(2)}x 2 b-trees) ${list.map((x) => x.toFixed(0)).join(' ')}`,
  );
}
console.log(
  `load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
rmSync(dir, { recursive: true, force: true });
