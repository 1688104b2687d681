// Write cost of the feed-pull index `(owner_id, collection, position)` (issue 19): 10,000
// records written through a SQLite store (500 per transaction) with and without it, runs
// interleaved, medians. `npx tsx bench/prof/feed-index-write.ts [runs]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteServerStore } from 'tidesync/server';
import type { ServerRecord } from 'tidesync/server';
import { median } from '../workload.js';

const HLC = '000000000001000:000000:bench';
const runs = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'tidesync-feed-index-'));

async function once(withIndex: boolean, n: number): Promise<number> {
  const db = new Database(join(dir, `w${n}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const store = sqliteServerStore(db);
  await store.open();
  if (!withIndex) db.exec('DROP INDEX tidesync_records_owner_collection_position');
  const start = performance.now();
  for (let batch = 0; batch < 20; batch += 1) {
    await store.transaction(async (tx) => {
      for (let i = 0; i < 500; i += 1) {
        const id = `r${batch * 500 + i}`;
        const record: ServerRecord = {
          collection: i % 2 ? 'notes' : 'todos',
          id,
          ownerId: `user-${i % 50}`,
          version: 1,
          data: { title: `record ${id}`, done: false },
          hlc: HLC,
          fieldClocks: { title: HLC, done: HLC },
          deleted: false,
          updatedAt: 1,
          originClientId: 'c1',
          originId: id,
        };
        await tx.getRecord(record.collection, id);
        await tx.putRecord(record);
      }
    });
  }
  const ms = performance.now() - start;
  db.close();
  return ms;
}

const results = { with: [] as number[], without: [] as number[] };
for (let run = 0; run < runs; run += 1) {
  results.with.push(await once(true, run * 2));
  results.without.push(await once(false, run * 2 + 1));
}
rmSync(dir, { recursive: true, force: true });
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
console.log(
  `with the index:    median ${median(results.with).toFixed(0)} ms (${fmt(results.with)})`,
);
console.log(
  `without the index: median ${median(results.without).toFixed(0)} ms (${fmt(results.without)})`,
);
