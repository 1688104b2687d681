// The prototype-key and nesting check on data crossing the wire. It runs on every request and
// answer body, so its common case (nothing found) is kept cheap: the walk builds no paths (and
// allocates nothing for arrays) until it has found something.
import type { core } from 'zod/mini';
import { type SchemaParseResult, safeParseSchema } from './schema-parse.js';

/** Keys that are never accepted in data crossing the wire (prototype pollution). */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);

/** Deepest nesting accepted in record data. */
export const MAX_DATA_DEPTH = 32;

/** Deepest nesting accepted in a whole request or response body: record data plus its envelope. */
export const MAX_MESSAGE_DEPTH = MAX_DATA_DEPTH + 3;

/**
 * Returns the path of the first forbidden key (`__proto__`, `constructor`, `prototype`, as an
 * own key, such as `JSON.parse` makes) or the first place deeper than `maxDepth`, else
 * `undefined`.
 */
export function findUnsafeKey(
  value: unknown,
  depth = 0,
  path = '',
  maxDepth: number = MAX_DATA_DEPTH,
): string | undefined {
  // The path is only built once something was found: most values hold nothing.
  if (value === null || typeof value !== 'object' || !hasUnsafeKey(value, depth, maxDepth)) {
    return undefined;
  }
  return pathOfUnsafeKey(value, depth, path, maxDepth);
}

// The hot loop: no call for a primitive, and the three keys compared directly (JSON.parse's
// keys are internalized strings, so each comparison is cheap) rather than looked up in
// FORBIDDEN_KEYS: about half the time of a walk of a pull page.
function hasUnsafeKey(value: object, depth: number, maxDepth: number): boolean {
  if (depth > maxDepth) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null && hasUnsafeKey(item, depth + 1, maxDepth)) {
        return true;
      }
    }
    return false;
  }
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return true;
    const item: unknown = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null && hasUnsafeKey(item, depth + 1, maxDepth)) {
      return true;
    }
  }
  return false;
}

function pathOfUnsafeKey(
  value: unknown,
  depth: number,
  path: string,
  maxDepth: number,
): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > maxDepth) return `${path} (nested deeper than ${maxDepth})`;
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return here;
    const found = pathOfUnsafeKey(
      (value as Record<string, unknown>)[key],
      depth + 1,
      here,
      maxDepth,
    );
    if (found !== undefined) return found;
  }
  return undefined;
}

// Whole bodies that passed findUnsafeKey at MAX_MESSAGE_DEPTH (the server's request check, the
// HTTP transport's answer check), and how many parses of such a body are running now.
const screenedBodies = new WeakSet<object>();
let screenedParses = 0;

/**
 * Marks `body`, a whole request or response body, as passed by
 * `findUnsafeKey(body, 0, '', MAX_MESSAGE_DEPTH)`: {@link safeParseWire} then skips the wire
 * schemas' own prototype-key walks of its record data, which that check already covered.
 */
export function markScreened(body: object): void {
  screenedBodies.add(body);
}

/**
 * {@link safeParseSchema} of a wire request or response schema. For a body that
 * {@link markScreened} marked, the per-record prototype-key and nesting checks are skipped:
 * every record's data sits at least 3 levels down in such a body, so the whole-body check at
 * {@link MAX_MESSAGE_DEPTH} holds it to {@link MAX_DATA_DEPTH} or less already.
 */
export function safeParseWire<S extends core.$ZodType>(
  schema: S,
  body: unknown,
): SchemaParseResult<core.output<S>> {
  if (body === null || typeof body !== 'object' || !screenedBodies.has(body)) {
    return safeParseSchema(schema, body);
  }
  // Parsing is synchronous: nothing else runs while the count is up.
  screenedParses += 1;
  try {
    return safeParseSchema(schema, body);
  } finally {
    screenedParses -= 1;
  }
}

/** True inside {@link safeParseWire} of a marked body: the record checks were done on it whole. */
export function isScreenedParse(): boolean {
  return screenedParses > 0;
}
