import type { OutboxOp } from '../../core/index.js';
import type { SqliteRow } from './sqlite-driver.js';
import { compactFieldClocks, eachAt, expandFieldClocks, isEachAt } from './sqlite-field-clocks.js';

// Layout 6: an op's `body` leaves out what the row's own columns hold (`collection`,
// `record_id`, `op_id`, `seq`, `state`) and writes field clocks equal to the op's `hlc` as `0`
// (sqlite-field-clocks.ts): about 250 of 780 bytes fewer per op. Reading fills them back from
// the columns, in the key order the outbox builds ops in. Bodies of older layouts hold every
// field; their columns hold the same values, so they read back unchanged.
//
// Layout 7: the body is a JSON array of the other fields in BODY_KEYS order, without their
// names, and `changedFields` that are the keys of `data` (an insert's) and field clocks that
// are each changed field at the op's `hlc` (an insert's, an update's) are both stored as `0`:
// about 390 bytes become about 200 for a small insert. An op with a field this code does not
// know (or one left undefined) is stored as an object, as in layout 6; both forms are read.

/** The fields a layout 7 body array holds, in order. */
const BODY_KEYS = [
  'serverId',
  'type',
  'data',
  'patch',
  'changedFields',
  'baseVersion',
  'hlc',
  'fieldClocks',
  'pushSeq',
  'attempts',
  'createdAt',
  'error',
] as const satisfies readonly (keyof OutboxOp)[];
const CHANGED_AT = BODY_KEYS.indexOf('changedFields');
const CLOCKS_AT = BODY_KEYS.indexOf('fieldClocks');

/** The columns an op's row holds besides its body, as the op's keys. */
const COLUMN_KEYS = [
  'collection',
  'id',
  'opId',
  'seq',
  'state',
] as const satisfies readonly (keyof OutboxOp)[];
const COLUMNS: ReadonlySet<string> = new Set(COLUMN_KEYS);
/** The keys of an {@link OutboxOp}; a body with others keeps them (see decodeOpBody). */
const OP_KEYS: ReadonlySet<string> = new Set([...COLUMN_KEYS, ...BODY_KEYS]);

/** Columns to select for {@link decodeOpBody}. */
export const OP_BODY_COLUMNS = 'seq, op_id, collection, record_id, state, body';

/** The `body` text of `op` (layout 7; see the top of the file). */
export function encodeOpBody(op: OutboxOp): string {
  for (const key in op) {
    if (!OP_KEYS.has(key))
      return encodeWithExtraKeys(op, compactFieldClocks(op.fieldClocks, op.hlc));
  }
  const fields: unknown[] = BODY_KEYS.map((key) => op[key]);
  if (fields.includes(undefined))
    return encodeWithExtraKeys(op, compactFieldClocks(op.fieldClocks, op.hlc));
  const changed = isKeysOf(op.changedFields, op.data) ? 0 : op.changedFields;
  fields[CHANGED_AT] = changed;
  fields[CLOCKS_AT] = isEachAt(op.fieldClocks, op.changedFields, op.hlc)
    ? 0
    : compactFieldClocks(op.fieldClocks, op.hlc);
  return JSON.stringify(fields);
}

/** Whether `fields` are the keys of `data`, in order (an insert's changed fields). */
function isKeysOf(fields: readonly string[], data: OutboxOp['data']): boolean {
  if (data === null || typeof data !== 'object' || fields.length === 0) return false;
  let i = 0;
  for (const key in data) {
    if (key === '__proto__' || fields[i] !== key) return false;
    i++;
  }
  return i === fields.length;
}

/** An op with a field this code does not know: that field is kept, like every other one. */
function encodeWithExtraKeys(op: OutboxOp, fieldClocks: object): string {
  const body: Record<string, unknown> = {};
  for (const key of Object.keys(op)) {
    if (!COLUMNS.has(key) && key !== '__proto__') {
      body[key] =
        key === 'fieldClocks' ? fieldClocks : (op as unknown as Record<string, unknown>)[key];
    }
  }
  return JSON.stringify(body);
}

/** The op of a `tidesync_ops` row selected with {@link OP_BODY_COLUMNS}, of any layout. */
export function decodeOpBody(row: SqliteRow): OutboxOp {
  const parsed = JSON.parse(String(row['body'])) as Record<string, unknown> | unknown[];
  if (Array.isArray(parsed)) return fromArray(row, parsed);
  const body = parsed;
  const hlc = body['hlc'] as string;
  const op = {
    collection: String(row['collection']),
    id: String(row['record_id']),
    serverId: body['serverId'],
    type: body['type'],
    data: body['data'],
    patch: body['patch'],
    changedFields: body['changedFields'],
    baseVersion: body['baseVersion'],
    hlc,
    fieldClocks: expandFieldClocks(body['fieldClocks'] as Record<string, unknown>, hlc),
    opId: String(row['op_id']),
    seq: Number(row['seq']),
    pushSeq: body['pushSeq'],
    state: String(row['state']),
    attempts: body['attempts'],
    createdAt: body['createdAt'],
    error: body['error'],
  } as Record<string, unknown>;
  for (const key in body) {
    if (!OP_KEYS.has(key) && key !== '__proto__') op[key] = body[key];
  }
  return op as unknown as OutboxOp;
}

/** The op of a row whose body is a layout 7 array (see {@link encodeOpBody}). */
function fromArray(row: SqliteRow, body: unknown[]): OutboxOp {
  const [serverId, type, data, patch, changed, baseVersion, hlc, clocks] = body as [
    OutboxOp['serverId'],
    OutboxOp['type'],
    OutboxOp['data'],
    OutboxOp['patch'],
    string[] | 0,
    number,
    string,
    Record<string, unknown> | 0,
  ];
  const changedFields = changed === 0 ? Object.keys(data ?? {}) : changed;
  const fieldClocks = clocks === 0 ? eachAt(changedFields, hlc) : expandFieldClocks(clocks, hlc);
  return {
    collection: String(row['collection']),
    id: String(row['record_id']),
    serverId,
    type,
    data,
    patch,
    changedFields,
    baseVersion,
    hlc,
    fieldClocks,
    opId: String(row['op_id']),
    seq: Number(row['seq']),
    pushSeq: body[8],
    state: String(row['state']),
    attempts: body[9],
    createdAt: body[10],
    error: body[11],
  } as OutboxOp;
}
