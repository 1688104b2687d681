import type {
  ConflictInput,
  ConflictOutcome,
  ConflictStrategy,
  FieldClocks,
  RecordData,
} from '../core/index.js';
import { compareHlc, maxHlc } from '../core/index.js';
import { mergeFieldClocks } from './last-write-wins.js';

/**
 * Field-level merge: fields changed on one side only all survive; a field changed on both sides
 * takes the value with the later per-field clock. Between an edit and a delete the later clock
 * wins for the whole record (so a delete never silently undoes an edit made after it, and an
 * old edit never resurrects a newer delete). Deterministic: the server resolves it in the push
 * round trip, and every replica computes the same result.
 *
 * @example
 * defineCollection({ name: 'todos', schema, conflict: fieldMerge() });
 */
export function fieldMerge(): ConflictStrategy {
  return {
    name: 'fieldMerge',
    deterministic: true,
    resolve(input: ConflictInput): ConflictOutcome {
      const { local, remote } = input;
      const hlc = maxHlc(local.hlc, remote.hlc);
      const fieldClocks = mergeFieldClocks(local.fieldClocks, remote.fieldClocks);
      if (local.data === null || remote.data === null) {
        // Edit against delete: whole-record last write wins.
        const winner = compareHlc(local.hlc, remote.hlc) > 0 ? local : remote;
        return {
          kind: 'merged',
          data: winner.data === null ? null : { ...winner.data },
          hlc,
          fieldClocks,
        };
      }
      const data: RecordData = { ...remote.data };
      for (const field of local.changedFields) {
        if (!Object.hasOwn(local.data, field)) continue;
        if (
          compareHlc(
            clockOf(local.fieldClocks, field, local.hlc),
            clockOf(remote.fieldClocks, field, ''),
          ) > 0
        ) {
          data[field] = local.data[field];
        }
      }
      return { kind: 'merged', data, hlc, fieldClocks };
    },
  };
}

function clockOf(clocks: FieldClocks, field: string, fallback: string): string {
  return Object.hasOwn(clocks, field) ? (clocks[field] ?? fallback) : fallback;
}
