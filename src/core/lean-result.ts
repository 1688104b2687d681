// Lean push results: an applied op whose stored record is exactly the op's own needs only the
// record's metadata in the answer. Server and client share the one definition of "the op's
// own record" below: the server leaves `record` out only when it equals that rebuild, so a
// lean answer is a lossless compression of the full one.
import type { AppliedResult, LeanAppliedResult, OpResult, WireOp, WireRecord } from './wire.js';

/**
 * The record a lean applied result stands for: the op's `data` (a tombstone, no data, for a
 * delete) at the op's schema version, with the result's id, version, clocks and `updatedAt`.
 * Origin fields are `null`: the client does not read them from push answers.
 */
export function leanRecord(op: WireOp, result: LeanAppliedResult): WireRecord {
  const deleted = op.type === 'delete';
  const record: { -readonly [K in keyof WireRecord]: WireRecord[K] } = {
    collection: op.collection,
    id: result.serverId,
    version: result.version,
    data: deleted ? {} : (op.data ?? {}),
    hlc: result.hlc,
    fieldClocks: result.fieldClocks,
    deleted,
    updatedAt: result.updatedAt,
    originClientId: null,
    originId: null,
  };
  if (op.schemaVersion !== undefined) record.schemaVersion = op.schemaVersion;
  return record;
}

/**
 * The lean form of `result` (an answer to `op`) when {@link leanRecord} rebuilds its record
 * exactly (origin fields aside), else `result` itself: a merge, a conflict, a rejection, a
 * record at another schema version, or data the server changed (schema defaults or
 * transforms, its own id, an earlier op of the record that was rejected).
 */
export function toLeanResult(op: WireOp, result: OpResult): OpResult | LeanAppliedResult {
  if (result.status !== 'applied' || result.merged) return result;
  const { record } = result;
  if (!rebuildsExactly(op, result)) return result;
  return {
    opId: result.opId,
    status: 'applied',
    serverId: result.serverId,
    version: result.version,
    merged: false,
    hlc: record.hlc,
    fieldClocks: record.fieldClocks,
    updatedAt: record.updatedAt,
  };
}

function rebuildsExactly(op: WireOp, { serverId, record }: AppliedResult): boolean {
  if (record.collection !== op.collection || record.id !== serverId) return false;
  if ((record.schemaVersion ?? 1) !== (op.schemaVersion ?? 1)) return false;
  if (record.deleted !== (op.type === 'delete')) return false;
  if (record.deleted) return isEmpty(record.data);
  return op.data != null && sameJson(record.data, op.data);
}

function isEmpty(data: object): boolean {
  for (const _ in data) return false;
  return true;
}

/**
 * Whether two JSON values are equal (object keys in any order). Anything that is not plain
 * JSON (a `Date`, a class instance, `undefined`) is unequal, so the full answer is sent.
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return a !== undefined && (typeof a !== 'number' || Number.isFinite(a));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i += 1) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || !isPlain(a) || !isPlain(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key)) return false;
    if (!sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) {
      return false;
    }
  }
  return true;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
