import type { ConflictStrategy, FieldClocks } from '../core/index.js';
import { compareHlc, maxHlc } from '../core/index.js';
import { deterministicStrategy } from './deterministic-strategy.js';
import { mergeFieldClocks } from './last-write-wins.js';
import { copyData } from './safe-data.js';

/**
 * Field-level merge: fields changed on one side only all survive; a field changed on both sides
 * takes the value with the later per-field clock (ties cannot happen: clocks include the client
 * id). A delete wins over a concurrent edit whatever the clocks (remove-wins), so every replica
 * ends with the same answer in any delivery order; pick `lastWriteWins()` or `manual()` when an
 * edit should be able to bring a deleted record back. Deterministic: the server resolves it in
 * the push round trip. See docs/conflicts.md for the full table.
 *
 * @throws TidesyncError `FORBIDDEN_FIELD` when either version holds a prototype key
 * (`__proto__`, `constructor`, `prototype`); no prototype is ever changed.
 *
 * @example
 * defineCollection({ name: 'todos', schema, conflict: fieldMerge() });
 */
export function fieldMerge(): ConflictStrategy {
  return deterministicStrategy('fieldMerge', (local, remote) => {
    const hlc = maxHlc(local.hlc, remote.hlc);
    const fieldClocks = mergeFieldClocks(local.fieldClocks, remote.fieldClocks);
    if (local.data === null || remote.data === null) {
      // Remove-wins. Comparing clocks here is not order-independent with three or more
      // writers: a later edit would revive the record with only its own view, while the
      // same edits merged before the delete arrived would keep every field. A delete that
      // always wins gives one answer in every order.
      return { kind: 'merged', data: null, hlc, fieldClocks };
    }
    const data = copyData(remote.data);
    for (const field of local.changedFields) {
      if (!Object.hasOwn(local.data, field)) continue;
      const mine = clockOf(local.fieldClocks, field, local.hlc);
      if (compareHlc(mine, clockOf(remote.fieldClocks, field, '')) > 0) {
        Object.defineProperty(data, field, {
          value: local.data[field],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return { kind: 'merged', data, hlc, fieldClocks };
  });
}

function clockOf(clocks: FieldClocks, field: string, fallback: string): string {
  return Object.hasOwn(clocks, field) ? (clocks[field] ?? fallback) : fallback;
}
