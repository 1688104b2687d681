import type { OpResult } from '../core/index.js';
import { TidesyncError, describeValue } from '../core/index.js';
import type { ClientState, ServerRecord } from './server-store.js';
import { utf8Length } from './pull-page.js';
import type { PendingRecord } from './transaction-cache.js';

/** A records row as the SQL stores read it (column names in snake_case). */
export interface RecordRow {
  readonly collection: string;
  readonly id: string;
  readonly owner_id: string;
  readonly version: number | string;
  readonly data: unknown;
  readonly hlc: string;
  readonly field_clocks: unknown;
  readonly deleted: boolean | number;
  readonly updated_at: number | string;
  readonly origin_client_id: string | null;
  readonly origin_id: string | null;
  readonly position?: number | string | null;
  /** JSON array of former states (scoped collections), or `null`. */
  readonly former?: unknown;
  /** The client and push seq of the op that wrote this state (`null`: not recorded). */
  readonly writer_client_id?: string | null;
  readonly writer_seq?: number | string | null;
}

/** Client row as stored. */
export interface ClientRow {
  readonly client_id: string;
  readonly user_id: string;
  readonly last_seq: number | string;
}

// JSON columns come back as text (SQLite) or parsed (Postgres jsonb).
const json = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

/** Converts a stored row to a {@link ServerRecord}. */
export function rowToRecord(row: RecordRow): ServerRecord {
  return {
    collection: row.collection,
    id: row.id,
    ownerId: row.owner_id,
    version: Number(row.version),
    data: json(row.data) as ServerRecord['data'],
    hlc: row.hlc,
    fieldClocks: json(row.field_clocks) as ServerRecord['fieldClocks'],
    deleted: row.deleted === true || row.deleted === 1,
    updatedAt: Number(row.updated_at),
    originClientId: row.origin_client_id,
    originId: row.origin_id,
    ...(row.former === null || row.former === undefined
      ? {}
      : { formerData: json(row.former) as ServerRecord['formerData'] }),
    // Only when recorded: a record comes back as it was put (states of older releases have none).
    ...(row.writer_client_id === null || row.writer_client_id === undefined
      ? {}
      : { writerClientId: row.writer_client_id, writerSeq: Number(row.writer_seq) }),
  };
}

/**
 * UTF-8 bytes of a row's `data` and `field_clocks` JSON text together (see
 * `FeedEntry.jsonBytes`), or `undefined` when the driver returned them parsed (Postgres jsonb).
 */
export function storedJsonBytes(row: RecordRow): number | undefined {
  if (typeof row.data !== 'string' || typeof row.field_clocks !== 'string') return undefined;
  return utf8Length(row.data) + utf8Length(row.field_clocks);
}

/** Converts a stored client row to a {@link ClientState}. */
export function rowToClient(row: ClientRow): ClientState {
  return { clientId: row.client_id, userId: row.user_id, lastSeq: Number(row.last_seq) };
}

/** Parses a stored outcome. */
export function parseOutcome(value: unknown): OpResult {
  return json(value) as OpResult;
}

/** Column values of a held record write, in the order of {@link RECORD_COLUMNS}. */
export function pendingValues(pending: PendingRecord, booleanAsInt: boolean): unknown[] {
  const record = pending.record;
  return [
    record.collection,
    record.id,
    record.ownerId,
    record.version,
    pending.data,
    record.hlc,
    pending.fieldClocks,
    booleanAsInt ? (record.deleted ? 1 : 0) : record.deleted,
    record.updatedAt,
    record.originClientId,
    record.originId,
    pending.former,
    record.writerClientId ?? null,
    record.writerSeq ?? null,
  ];
}

/** Record columns written by an upsert. */
export const RECORD_COLUMNS =
  'collection, id, owner_id, version, data, hlc, field_clocks, deleted, updated_at, origin_client_id, origin_id, former, writer_client_id, writer_seq';

/** Checks a table prefix or schema name before it is put into SQL text. */
export function isSafeIdentifier(value: string): boolean {
  return /^[a-z_][a-z0-9_]{0,47}$/.test(value);
}

/**
 * `value` when it is a safe SQL identifier (see {@link isSafeIdentifier}).
 * @throws TidesyncError `INVALID_OPTION` naming the option otherwise.
 */
export function requireSafeIdentifier(option: string, value: string): string {
  if (!isSafeIdentifier(value)) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`${option}\` to be lowercase letters, digits or _, got ${describeValue(value)}.`,
    );
  }
  return value;
}
