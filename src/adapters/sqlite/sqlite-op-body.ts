import type { OutboxOp } from '../../core/index.js';
import type { SqliteRow } from './sqlite-driver.js';
import { compactFieldClocks, expandFieldClocks } from './sqlite-field-clocks.js';

// Layout 6: an op's `body` leaves out what the row's own columns hold (`collection`,
// `record_id`, `op_id`, `seq`, `state`) and writes field clocks equal to the op's `hlc` as `0`
// (sqlite-field-clocks.ts): about 250 of 780 bytes fewer per op. Reading fills them back from
// the columns, in the key order the outbox builds ops in. Bodies of older layouts hold every
// field; their columns hold the same values, so they read back unchanged.

/** The columns an op's row holds besides its body, as the op's keys. */
const COLUMN_KEYS: ReadonlySet<string> = new Set(['collection', 'id', 'opId', 'seq', 'state']);
/** The keys of an {@link OutboxOp}; a body with others keeps them (see decodeOpBody). */
const OP_KEYS: ReadonlySet<string> = new Set([
  'collection',
  'id',
  'serverId',
  'type',
  'data',
  'patch',
  'changedFields',
  'baseVersion',
  'hlc',
  'fieldClocks',
  'opId',
  'seq',
  'pushSeq',
  'state',
  'attempts',
  'createdAt',
  'error',
]);

/** Columns to select for {@link decodeOpBody}. */
export const OP_BODY_COLUMNS = 'seq, op_id, collection, record_id, state, body';

/** The `body` text of `op` (layout 6). */
export function encodeOpBody(op: OutboxOp): string {
  const fieldClocks = compactFieldClocks(op.fieldClocks, op.hlc);
  for (const key in op) {
    if (!OP_KEYS.has(key)) return encodeWithExtraKeys(op, fieldClocks);
  }
  // One literal (a fixed shape) for the usual op.
  return JSON.stringify({
    serverId: op.serverId,
    type: op.type,
    data: op.data,
    patch: op.patch,
    changedFields: op.changedFields,
    baseVersion: op.baseVersion,
    hlc: op.hlc,
    fieldClocks,
    pushSeq: op.pushSeq,
    attempts: op.attempts,
    createdAt: op.createdAt,
    error: op.error,
  });
}

/** An op with a field this code does not know: that field is kept, like every other one. */
function encodeWithExtraKeys(op: OutboxOp, fieldClocks: object): string {
  const body: Record<string, unknown> = {};
  for (const key of Object.keys(op)) {
    if (!COLUMN_KEYS.has(key) && key !== '__proto__') {
      body[key] =
        key === 'fieldClocks' ? fieldClocks : (op as unknown as Record<string, unknown>)[key];
    }
  }
  return JSON.stringify(body);
}

/** The op of a `tidesync_ops` row selected with {@link OP_BODY_COLUMNS}, of any layout. */
export function decodeOpBody(row: SqliteRow): OutboxOp {
  const body = JSON.parse(String(row['body'])) as Record<string, unknown>;
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
