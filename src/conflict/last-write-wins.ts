import type { ConflictStrategy, FieldClocks } from '../core/index.js';
import { compareHlc, maxHlc } from '../core/index.js';
import { deterministicStrategy } from './deterministic-strategy.js';
import { copyData } from './safe-data.js';

/** Per-field maximum of two clock maps; commutative, associative and idempotent. */
export function mergeFieldClocks(a: FieldClocks, b: FieldClocks): FieldClocks {
  const out: FieldClocks = Object.create(null) as FieldClocks;
  for (const [field, clock] of Object.entries(a)) out[field] = clock;
  for (const [field, clock] of Object.entries(b)) {
    const mine = out[field];
    out[field] = mine === undefined ? clock : maxHlc(mine, clock);
  }
  return { ...out };
}

/**
 * Last-write-wins on the whole record: the version with the later hybrid logical clock wins
 * wholly (ties cannot happen: clocks include the client id), so the losing write's fields are
 * dropped even where it changed other fields. A delete is a write like any other: a delete
 * later than an edit removes the record, and an edit later than a delete brings the record back
 * as the editing device saw it. Deterministic: the server resolves it in the push round trip.
 * See docs/conflicts.md for the full table.
 *
 * @throws TidesyncError `FORBIDDEN_FIELD` when either version holds a prototype key.
 *
 * @example
 * defineCollection({ name: 'notes', schema, conflict: lastWriteWins() });
 */
export function lastWriteWins(): ConflictStrategy {
  return deterministicStrategy('lastWriteWins', (local, remote) => {
    const winner = compareHlc(local.hlc, remote.hlc) > 0 ? local : remote;
    return {
      kind: 'merged',
      data: winner.data === null ? null : copyData(winner.data),
      hlc: maxHlc(local.hlc, remote.hlc),
      fieldClocks: mergeFieldClocks(local.fieldClocks, remote.fieldClocks),
    };
  });
}
