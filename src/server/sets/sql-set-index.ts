// The set index in the SQL stores (SQLite and Postgres): one row per (collection, partition,
// field, value, record) with the feed position of the last change that touched it, written
// in the record's transaction after its feed position is set.
import type { FeedEntry } from '../server-store.js';
import type { RecordRow } from '../sql-rows.js';
import { rowToRecord } from '../sql-rows.js';
import type { SetIndexQuery, SetIndexWrite } from './set-index.js';

/** The set-index table and its range index (SQLite and Postgres share this DDL). */
export function setIndexLayout(t: string, indexName: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${t}set_index (collection TEXT NOT NULL, part TEXT NOT NULL,
      field TEXT NOT NULL, value TEXT NOT NULL, id TEXT NOT NULL, position BIGINT NOT NULL,
      PRIMARY KEY (collection, part, field, value, id))`,
    `CREATE INDEX IF NOT EXISTS ${indexName} ON ${t}set_index (collection, part, field, value, position)`,
  ];
}

/** Placeholder style of a SQL dialect: `?` (SQLite) or `$n` (Postgres). */
export type Placeholder = (n: number) => string;

/** The range read of {@link SetIndexQuery}: rows with their current record, by position. */
export function setRangeStatement(
  t: string,
  query: SetIndexQuery,
  limit: number,
  at: Placeholder,
): { text: string; values: unknown[] } {
  const { where, values } = rangeWhere(query, at);
  values.push(limit);
  return {
    text: `SELECT s.position AS set_position, r.* FROM ${t}set_index s
      JOIN ${t}records r ON r.collection = s.collection AND r.id = s.id
      WHERE ${where} ORDER BY s.position LIMIT ${at(values.length)}`,
    values,
  };
}

/** The WHERE clause of a range, its parameters in the order they appear (for `?` dialects). */
function rangeWhere(query: SetIndexQuery, at: Placeholder): { where: string; values: unknown[] } {
  const values: unknown[] = [query.collection, query.partition, query.field];
  const list = query.values.map((value) => {
    values.push(value);
    return at(values.length);
  });
  values.push(query.after);
  return {
    where: `s.collection = ${at(1)} AND s.part = ${at(2)} AND s.field = ${at(3)}
        AND s.value IN (${list.join(', ')}) AND s.position > ${at(values.length)}`,
    values,
  };
}

/** How many records have a row in the range. */
export function setCountStatement(
  t: string,
  query: SetIndexQuery,
  at: Placeholder,
): { text: string; values: unknown[] } {
  const { where, values } = rangeWhere(query, at);
  return { text: `SELECT count(DISTINCT s.id) AS n FROM ${t}set_index s WHERE ${where}`, values };
}

/** Feed entries of range rows (the row's position, the record's current state). */
export function setRowsToEntries(
  rows: readonly (RecordRow & { set_position: unknown })[],
): FeedEntry[] {
  return rows.map((row) => ({ position: Number(row.set_position), record: rowToRecord(row) }));
}

/** The flat rows of held writes: collection, partition, field, value, id (each key once). */
export function setWriteRows(writes: readonly SetIndexWrite[]): string[][] {
  const rows: string[][] = [];
  for (const write of writes) {
    for (const key of write.keys) {
      rows.push([write.collection, write.partition, key.field, key.value, write.id]);
    }
  }
  return rows;
}
