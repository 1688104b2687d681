import type { ConflictInput, RecordData } from '../core/index.js';
import { FORBIDDEN_KEYS, TidesyncError, findUnsafeKey } from '../core/index.js';

/**
 * Refuses record data holding a prototype key (`__proto__`, `constructor`, `prototype`) at any
 * depth, so no strategy ever assigns one. Wire validation and local writes already refuse such
 * data; this keeps a strategy safe when it is called directly.
 *
 * @throws TidesyncError `FORBIDDEN_FIELD` naming the side and the key path.
 */
export function assertSafeData(data: RecordData | null, where: string, collection: string): void {
  if (data === null) return;
  const bad = findUnsafeKey(data);
  if (bad !== undefined) {
    throw new TidesyncError(
      'FORBIDDEN_FIELD',
      `Key \`${bad}\` in the ${where} version of a \`${collection}\` record is not allowed (prototype keys such as ${[...FORBIDDEN_KEYS].join(', ')} are refused). Remove it from the data.`,
    );
  }
}

/** Checks both sides of a conflict with {@link assertSafeData}. */
export function assertSafeInput(input: ConflictInput): void {
  assertSafeData(input.local.data, 'local', input.collection);
  assertSafeData(input.remote.data, 'remote', input.collection);
  for (const field of input.local.changedFields) {
    if (FORBIDDEN_KEYS.has(field)) {
      throw new TidesyncError(
        'FORBIDDEN_FIELD',
        `Field \`${field}\` in a change of a \`${input.collection}\` record is not allowed (prototype keys are refused). Remove it from the patch.`,
      );
    }
  }
}

/** A copy of `data` built with own data properties only (never through a prototype setter). */
export function copyData(data: RecordData): RecordData {
  const out: RecordData = {};
  for (const [key, value] of Object.entries(data)) {
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
