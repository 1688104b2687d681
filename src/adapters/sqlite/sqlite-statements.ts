import type { ListOpsOptions, StoredRecord } from '../../core/index.js';
import type { SqliteRow, SqliteValue } from './sqlite-driver.js';
import { compactFieldClocks, eachAt, expandFieldClocks, isEachAt } from './sqlite-field-clocks.js';
import { OP_BODY_COLUMNS } from './sqlite-op-body.js';

// The SQL the adapter runs for records, ops and metadata, and the mapping of record rows.
// Statements are constants: the driver caches prepared statements by SQL text, and a constant
// string is hashed once instead of being rebuilt and rehashed on every call.

/** Columns of `tidesync_records`, in the order of {@link recordParams}. */
export const RECORD_COLUMNS =
  'collection, id, server_id, data, version, hlc, field_clocks, updated_at, accessed_at, sync_status, deleted, conflict';

/** A record by local id. */
export const SELECT_RECORD = `SELECT ${RECORD_COLUMNS} FROM tidesync_records WHERE collection = ? AND id = ?`;
/** A record by server id. */
export const SELECT_BY_SERVER_ID = `SELECT ${RECORD_COLUMNS} FROM tidesync_records WHERE collection = ? AND server_id = ?`;
/** How many server ids {@link SELECT_BY_SERVER_IDS} takes; fewer are padded with null. */
export const SERVER_ID_CHUNK = 100;
/**
 * Records of one collection by up to {@link SERVER_ID_CHUNK} server ids. One constant text
 * (padding never matches: `IN` with null is not true), so it is prepared once.
 */
export const SELECT_BY_SERVER_IDS = `SELECT ${RECORD_COLUMNS} FROM tidesync_records WHERE collection = ? AND server_id IN (${Array.from({ length: SERVER_ID_CHUNK }, () => '?').join(', ')})`;
/** Records of one collection by up to {@link SERVER_ID_CHUNK} local ids, as above. */
export const SELECT_BY_IDS = `SELECT ${RECORD_COLUMNS} FROM tidesync_records WHERE collection = ? AND id IN (${Array.from({ length: SERVER_ID_CHUNK }, () => '?').join(', ')})`;
/**
 * Inserts or replaces a record. ON CONFLICT on the primary key only: INSERT OR REPLACE would
 * silently delete another record that holds the same server id instead of failing.
 */
export const UPSERT_RECORD = `INSERT INTO tidesync_records (${RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (collection, id) DO UPDATE SET server_id = excluded.server_id,
    data = excluded.data, version = excluded.version, hlc = excluded.hlc,
    field_clocks = excluded.field_clocks, updated_at = excluded.updated_at,
    accessed_at = excluded.accessed_at, sync_status = excluded.sync_status,
    deleted = excluded.deleted, conflict = excluded.conflict`;
/**
 * Inserts an op (layout 7: the op index said no op has its id). The last parameter is the
 * carried metadata to write with it, or null (sqlite-carried-meta.ts).
 */
export const INSERT_OP = `INSERT INTO tidesync_ops (seq, op_id, collection, record_id, state, body, carried_meta)
  VALUES (?, ?, ?, ?, ?, ?, ?)`;
/**
 * Updates an op's state and body where it is (state changes, coalescing); the carried metadata
 * to write with it, or null to keep the row's.
 */
export const UPDATE_OP = `UPDATE tidesync_ops SET state = ?, body = ?,
  carried_meta = coalesce(?, carried_meta) WHERE seq = ?`;
/** Moves an op to another seq or record: every column but its id, by its old seq. */
export const MOVE_OP =
  'UPDATE tidesync_ops SET seq = ?, collection = ?, record_id = ?, state = ?, body = ? WHERE seq = ?';
/** Deletes an op by seq. */
export const DELETE_OP = 'DELETE FROM tidesync_ops WHERE seq = ?';
/**
 * What a transaction's first op call reads, in one statement: the connection's `data_version`
 * (for the op index, sqlite-op-index.ts) and the last op's seq and carried metadata (`null`s
 * for an empty outbox).
 */
export const SELECT_OPS_START = `SELECT d.data_version AS data_version, o.seq AS seq, o.carried_meta AS carried_meta
  FROM pragma_data_version AS d
  LEFT JOIN (SELECT seq, carried_meta FROM tidesync_ops ORDER BY seq DESC LIMIT 1) AS o`;
/** A metadata value. */
export const SELECT_META = 'SELECT value FROM tidesync_meta WHERE key = ?';
/** Inserts or replaces a metadata value. */
export const UPSERT_META =
  'INSERT INTO tidesync_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value';

/** A `tidesync_records` row as a stored record. */
export function toRecord(row: SqliteRow): StoredRecord {
  const hlc = String(row['hlc']);
  const data = JSON.parse(String(row['data'])) as StoredRecord['data'];
  const clocks = JSON.parse(String(row['field_clocks'])) as Record<string, unknown> | 0;
  return {
    collection: String(row['collection']),
    id: String(row['id']),
    serverId: row['server_id'] === null ? null : String(row['server_id']),
    data,
    version: Number(row['version']),
    hlc,
    fieldClocks: clocks === 0 ? eachAt(Object.keys(data), hlc) : expandFieldClocks(clocks, hlc),
    updatedAt: Number(row['updated_at']),
    accessedAt: Number(row['accessed_at']),
    syncStatus: String(row['sync_status']) as StoredRecord['syncStatus'],
    deleted: Number(row['deleted']) === 1,
    conflict: row['conflict'] === null ? null : (JSON.parse(String(row['conflict'])) as never),
  };
}

/** The parameters of {@link UPSERT_RECORD} for a record, in `RECORD_COLUMNS` order. */
export function recordParams(r: StoredRecord): SqliteValue[] {
  return [
    r.collection,
    r.id,
    r.serverId,
    JSON.stringify(r.data),
    r.version,
    r.hlc,
    isEachAt(r.fieldClocks, Object.keys(r.data), r.hlc)
      ? '0'
      : JSON.stringify(compactFieldClocks(r.fieldClocks, r.hlc)),
    r.updatedAt,
    r.accessedAt,
    r.syncStatus,
    r.deleted ? 1 : 0,
    r.conflict === null ? null : JSON.stringify(r.conflict),
  ];
}

/** An op by seq, as {@link decodeOpBody} reads it. */
export const SELECT_OP = `SELECT ${OP_BODY_COLUMNS} FROM tidesync_ops WHERE seq = ?`;

/** The statement and parameters of `listOps(options)`: op rows in seq order. */
export function listOpsSql(options: ListOpsOptions): { sql: string; params: SqliteValue[] } {
  const clauses: string[] = [];
  const params: SqliteValue[] = [];
  if (options.states) {
    clauses.push(`state IN (${options.states.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...options.states);
  }
  if (options.collection !== undefined) {
    clauses.push('collection = ?');
    params.push(options.collection);
  }
  if (options.recordId !== undefined) {
    clauses.push('record_id = ?');
    params.push(options.recordId);
  }
  const where = clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '';
  const limit = options.limit === undefined ? '' : ' LIMIT ?';
  if (options.limit !== undefined) params.push(options.limit);
  // The outbox has no index (layout 7): a walk of the table in seq order, stopped at the limit.
  return {
    sql: `SELECT ${OP_BODY_COLUMNS} FROM tidesync_ops${where} ORDER BY seq${limit}`,
    params,
  };
}
