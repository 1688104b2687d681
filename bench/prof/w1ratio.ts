// W1 on an SQLite file against raw better-sqlite3, as the W1 targets compare them: RUNS runs,
// each a raw baseline right before tidesync, and the medians of the per-run ratios.
// `N=10000 RUNS=5 npx tsx bench/prof/w1ratio.ts`
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawSqlite, tidesyncWrites } from '../local-writes.js';
import { median } from '../workload.js';

const n = Number(process.env['N'] ?? 10000);
const runs = Number(process.env['RUNS'] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'prof-w1r-'));
const insert: number[] = [];
const many: number[] = [];
const ms: Record<string, number[]> = { raw: [], insert: [], rawTx: [], many: [] };
try {
  for (let r = 0; r < runs; r++) {
    const raw = rawSqlite(n, dir);
    const ours = await tidesyncWrites('sqlite', n, dir);
    insert.push(ours.insertMs / raw.insertMs);
    many.push(ours.insertManyMs / raw.txMs);
    ms['raw']!.push(raw.insertMs);
    ms['insert']!.push(ours.insertMs);
    ms['rawTx']!.push(raw.txMs);
    ms['many']!.push(ours.insertManyMs);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const f = (list: number[]) => list.map((x) => x.toFixed(x < 10 ? 2 : 0)).join(' ');
console.log(
  `insert/raw ${median(insert).toFixed(2)}x (${f(insert)}); insertMany/raw ${median(many).toFixed(2)}x (${f(many)})`,
);
for (const [k, v] of Object.entries(ms))
  console.log(`  ${k} median ${median(v).toFixed(0)} ms: ${f(v)}`);
console.log(
  `  load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
