// Bulk seeding for the sets benchmarks: writes records (and their set-index rows) straight
// into a SQLite or Postgres store's tables, many rows per statement, so a store of 1,000,000
// records seeds in seconds rather than the ~700 records/s of one write at a time through the
// store on Postgres. `seedThroughStore` is the slow path through the store API (putRecord and
// writeSetKeys); `checkBulkSeed` seeds a sample both ways and compares every row of both tables,
// so the bulk rows are the rows the store itself writes.
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { CollectionDefinition } from 'tidesync';
import type { ServerRecord, ServerStore } from 'tidesync/server';
import { writeSetKeys } from '../src/server/sets/set-index-write.js';

const HLC = '000000000001000:000000:bench';

/** One run of records: `count` records of `collection` owned by `ownerId`, ids `${prefix}-${from + i}`. */
export interface SeedRun {
  readonly collection: CollectionDefinition;
  readonly ownerId: string;
  /** Region of the records (their `region` field, the set index's value). */
  readonly region: string;
  readonly count: number;
  readonly from: number;
}

/** The record of the i-th entry of a run, as the bench writes it. */
export function seedRecord(run: SeedRun, i: number): ServerRecord {
  const n = run.from + i;
  return {
    collection: run.collection.name,
    id: `${run.ownerId}-${run.region}-${n}`,
    ownerId: run.ownerId,
    version: 1,
    data: { title: `order ${n} of ${run.region}`, region: run.region },
    hlc: HLC,
    fieldClocks: { title: HLC, region: HLC },
    deleted: false,
    updatedAt: 1,
    originClientId: null,
    originId: null,
  };
}

/** Writes the runs through the store (5,000 records per transaction), in order. */
export async function seedThroughStore(
  store: ServerStore,
  runs: readonly SeedRun[],
): Promise<void> {
  for (const run of runs) {
    for (let start = 0; start < run.count; start += 5000) {
      await store.transaction(async (tx) => {
        for (let i = start; i < Math.min(run.count, start + 5000); i += 1) {
          const record = seedRecord(run, i);
          await tx.getRecord(record.collection, record.id);
          await tx.putRecord(record);
          await writeSetKeys(tx, run.collection, undefined, record);
        }
      });
    }
  }
}

/** The flat rows of the runs, positions from `head + 1` on, in order. */
function* rows(runs: readonly SeedRun[], head: number) {
  let position = head;
  for (const run of runs) {
    for (let i = 0; i < run.count; i += 1) {
      position += 1;
      const record = seedRecord(run, i);
      const sets = run.collection.sync === 'sets';
      yield {
        record,
        position,
        data: JSON.stringify(record.data),
        clocks: JSON.stringify(record.fieldClocks),
        // The set index row of the record's `region` (partition: its owner, no scope here).
        setRow: sets
          ? [record.collection, record.ownerId, 'region', JSON.stringify(run.region)]
          : null,
      };
    }
  }
}

/** Bulk-writes the runs into a SQLite store's tables (prefix `tidesync_`), in one transaction. */
export function seedSqlite(db: Database.Database, runs: readonly SeedRun[]): void {
  const head = Number(
    (db.prepare('SELECT head FROM tidesync_meta WHERE id = 1').get() as { head: number }).head,
  );
  const put = db.prepare(
    `INSERT INTO tidesync_records (collection, id, owner_id, version, data, hlc, field_clocks, deleted, updated_at, origin_client_id, origin_id, former, position)
     VALUES (?, ?, ?, 1, ?, ?, ?, 0, 1, NULL, NULL, NULL, ?)`,
  );
  const index = db.prepare(
    'INSERT INTO tidesync_set_index (collection, part, field, value, id, position) VALUES (?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    let last = head;
    for (const row of rows(runs, head)) {
      const r = row.record;
      put.run(r.collection, r.id, r.ownerId, row.data, r.hlc, row.clocks, row.position);
      if (row.setRow) index.run(...row.setRow, r.id, row.position);
      last = row.position;
    }
    db.prepare('UPDATE tidesync_meta SET head = ? WHERE id = 1').run(last);
  })();
}

/** Bulk-writes the runs into a Postgres store's tables in `schema`, 5,000 rows per statement. */
export async function seedPostgres(
  pool: pg.Pool,
  schema: string,
  runs: readonly SeedRun[],
): Promise<void> {
  const t = `"${schema}".tidesync_`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const [meta] = (await client.query(`SELECT head FROM ${t}meta WHERE id = 1 FOR UPDATE`))
      .rows as { head: string }[];
    const head = Number(meta!.head);
    let last = head;
    let batch: ReturnType<typeof rows> extends Generator<infer R> ? R[] : never = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const col = <T>(f: (row: (typeof batch)[number]) => T) => batch.map(f);
      await client.query(
        `INSERT INTO ${t}records (collection, id, owner_id, version, data, hlc, field_clocks, deleted, updated_at, origin_client_id, origin_id, former, position)
         SELECT c, i, o, 1, d, h, f, false, 1, NULL, NULL, NULL, p
         FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::jsonb[], $7::bigint[]) AS v(c, i, o, d, h, f, p)`,
        [
          col((r) => r.record.collection),
          col((r) => r.record.id),
          col((r) => r.record.ownerId),
          col((r) => r.data),
          col((r) => r.record.hlc),
          col((r) => r.clocks),
          col((r) => r.position),
        ],
      );
      const indexed = batch.filter((r) => r.setRow);
      if (indexed.length > 0) {
        await client.query(
          `INSERT INTO ${t}set_index (collection, part, field, value, id, position)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])`,
          [
            ...[0, 1, 2, 3].map((k) => indexed.map((r) => r.setRow![k])),
            indexed.map((r) => r.record.id),
            indexed.map((r) => r.position),
          ],
        );
      }
      batch = [];
    };
    for (const row of rows(runs, head)) {
      batch.push(row);
      last = row.position;
      if (batch.length >= 5000) await flush();
    }
    await flush();
    await client.query(`UPDATE ${t}meta SET head = $1 WHERE id = 1`, [last]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** Every row of the records and set-index tables, ordered, for a comparison. */
export async function dumpTables(
  read: (sql: string) => Promise<unknown[]>,
  t: string,
  asText: (column: string) => string,
): Promise<{ records: unknown[]; setIndex: unknown[] }> {
  const columns = [
    'collection, id, owner_id, version',
    asText('data'),
    'hlc',
    asText('field_clocks'),
    'deleted, updated_at, origin_client_id, origin_id, former, position',
  ];
  return {
    records: await read(`SELECT ${columns.join(', ')} FROM ${t}records ORDER BY position`),
    setIndex: await read(`SELECT * FROM ${t}set_index ORDER BY position, field, value`),
  };
}
