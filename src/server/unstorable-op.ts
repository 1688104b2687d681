import type { OpResult, WireOp } from '../core/index.js';
import { findUnstorableString } from '../core/index.js';

/**
 * The `rejected` outcome (`validation_failed`, naming the field) for an op that holds a NUL
 * character or a lone UTF-16 surrogate in its collection, id, serverId, data, patch or field
 * clock keys, else `undefined`. No store can keep such a string (Postgres text and JSONB cannot
 * hold U+0000, and UTF-8 storage replaces a lone surrogate), so every store refuses it alike,
 * op by op, before any store is asked: the other ops of the batch still apply.
 */
export function refuseUnstorable(op: WireOp): OpResult | undefined {
  const bad =
    findUnstorableString(op.collection, 'collection') ??
    findUnstorableString(op.id, 'id') ??
    findUnstorableString(op.serverId, 'serverId') ??
    findUnstorableString(op.data, 'data') ??
    findUnstorableString(op.patch, 'patch') ??
    findUnstorableString(op.fieldClocks, 'fieldClocks');
  if (bad === undefined) return undefined;
  return {
    opId: op.opId,
    status: 'rejected',
    code: 'validation_failed',
    message: `${bad}: contains a NUL character (U+0000) or a lone UTF-16 surrogate, which the server cannot store. Remove the character.`,
  };
}
