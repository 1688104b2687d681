import type { CollectionDefinition, RecordData, ValidationIssue } from '../../core/index.js';
import {
  FORBIDDEN_KEYS,
  TidesyncError,
  ValidationError,
  describeValue,
  findUnsafeKey,
  findUnstorableString,
  partialOf,
  safeParseSchema,
  shapeOf,
} from '../../core/index.js';

const PROTECTED = new Set(['id', 'serverId', 'syncStatus', 'updatedAt']);

interface ZodLikeIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

function toIssues(issues: readonly ZodLikeIssue[]): ValidationIssue[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

function fail(collection: string, issues: ValidationIssue[]): never {
  const first = issues[0];
  const where = first?.path ? `field \`${first.path}\`` : 'the record';
  throw new ValidationError(
    `Invalid ${where} for collection \`${collection}\`: ${first?.message ?? 'invalid value'}. Fix the value to match the collection's schema.`,
    issues,
    collection,
  );
}

function assertPlainObject(
  collection: string,
  value: unknown,
  what: string,
): asserts value is RecordData {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(
      `Expected ${what} for collection \`${collection}\` to be an object, got ${describeValue(value)}.`,
      [{ path: '', message: 'expected an object' }],
      collection,
    );
  }
}

function assertNoForbiddenKeys(collection: string, value: RecordData): void {
  const bad = findUnsafeKey(value);
  if (bad !== undefined) {
    throw new TidesyncError(
      'FORBIDDEN_FIELD',
      `Key \`${bad}\` is not allowed in records of \`${collection}\` (prototype keys such as ${[...FORBIDDEN_KEYS].join(', ')} are refused).`,
    );
  }
}

/**
 * The checks every written value passes first: a plain object (`what` names it), no prototype
 * key, and no field tidesync manages (`managedMessage` says why that key is refused). `eachKey`
 * runs for each key once it has passed, so the first bad key decides the error.
 */
function assertWritableFields(
  collection: string,
  value: unknown,
  what: string,
  managedMessage: (key: string) => string,
  eachKey?: (key: string) => void,
): asserts value is RecordData {
  assertPlainObject(collection, value, what);
  assertNoForbiddenKeys(collection, value);
  for (const key of Object.keys(value)) {
    if (PROTECTED.has(key)) throw new TidesyncError('FORBIDDEN_FIELD', managedMessage(key));
    eachKey?.(key);
  }
}

/**
 * Refuses a NUL character (U+0000) or a lone UTF-16 surrogate in any key or string: no server
 * store can keep one (Postgres text and JSONB cannot), so the server would reject the op.
 */
function assertStorableStrings(collection: string, value: unknown): void {
  const bad = findUnstorableString(value);
  if (bad === undefined) return;
  throw new ValidationError(
    `Invalid field \`${bad}\` for collection \`${collection}\`: it holds a NUL character (U+0000) or a lone UTF-16 surrogate, which the server cannot store. Remove the character, or encode binary data (for example as base64).`,
    [{ path: bad, message: 'contains a NUL character or a lone surrogate' }],
    collection,
  );
}

/**
 * Checks a `resolveConflict()` value before it is validated against the schema (which would
 * drop an unknown `__proto__` key silently).
 * @throws TidesyncError `FORBIDDEN_FIELD` for a prototype key at any depth; ValidationError for
 * an unstorable string.
 */
export function checkResolutionValue(collection: string, value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  assertNoForbiddenKeys(collection, value as RecordData);
  assertStorableStrings(collection, value);
}

/** Validates a new record's fields; returns the parsed fields (unknown keys stripped). */
export function validateInsert(collection: CollectionDefinition, value: unknown): RecordData {
  assertWritableFields(
    collection.name,
    value,
    'an inserted record',
    (key) =>
      `Field \`${key}\` is managed by tidesync and cannot be set on insert into \`${collection.name}\`. Remove it from the object.`,
  );
  const result = safeParseSchema(collection.schema, value);
  if (!result.success) fail(collection.name, toIssues(result.error.issues));
  assertStorableStrings(collection.name, result.data);
  return result.data as RecordData;
}

type PartialSchema = ReturnType<typeof partialOf>;

// zod v4 compiles a schema on its first parse: building `.partial()` anew for every update
// compiled a fresh one each time (most of an update's CPU). One per collection schema.
const partials = new WeakMap<object, PartialSchema>();

function partialSchema(collection: CollectionDefinition): PartialSchema {
  let partial = partials.get(collection.schema);
  if (!partial) {
    partial = partialOf(collection.schema);
    partials.set(collection.schema, partial);
  }
  return partial;
}

/** Validates an update patch before the transaction opens (each given field against the schema). */
export function validatePatch(collection: CollectionDefinition, patch: unknown): RecordData {
  assertWritableFields(
    collection.name,
    patch,
    'an update patch',
    (key) =>
      `Field \`${key}\` is managed by tidesync and cannot be changed with \`update()\` on \`${collection.name}\`.`,
    (key) => {
      if (!Object.hasOwn(shapeOf(collection.schema), key)) {
        throw new ValidationError(
          `Unknown field \`${key}\` in update of collection \`${collection.name}\`. Only fields of its schema can be set.`,
          [{ path: key, message: 'unknown field' }],
          collection.name,
        );
      }
    },
  );
  const result = safeParseSchema(partialSchema(collection), patch);
  if (!result.success) fail(collection.name, toIssues(result.error.issues));
  const parsed = result.data as RecordData;
  // partial() drops keys whose value is undefined; keep only the keys the caller gave.
  const out: RecordData = {};
  for (const key of Object.keys(patch)) if (Object.hasOwn(parsed, key)) out[key] = parsed[key];
  assertStorableStrings(collection.name, out);
  return out;
}

/** Validates the whole record after a patch is applied (cross-field refinements). */
export function validateMerged(collection: CollectionDefinition, value: RecordData): RecordData {
  const result = safeParseSchema(collection.schema, value);
  if (!result.success) fail(collection.name, toIssues(result.error.issues));
  return result.data as RecordData;
}
