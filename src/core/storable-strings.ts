// Strings no server store can hold: NULs and lone UTF-16 surrogates (issue 15, point 5),
// found at any depth of a value; the wire schemas refuse them in ids and keys.
import { MAX_DATA_DEPTH } from './unsafe-keys.js';

// A NUL (U+0000), or a UTF-16 surrogate without its pair: Postgres text and JSONB cannot hold
// either, and UTF-8 storage silently replaces a lone surrogate, so no store could round-trip it.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// What every such string holds: a NUL or some surrogate (paired or not).
const MAYBE_UNSTORABLE = /[\u0000\ud800-\udfff]/;

/**
 * True when every server store can hold `text` as given: it has no NUL character (U+0000) and
 * no lone UTF-16 surrogate.
 */
export function isStorableString(text: string): boolean {
  // The plain class settles almost every string; the exact pattern only runs on a suspect one.
  return !MAYBE_UNSTORABLE.test(text) || !UNSTORABLE.test(text);
}

/**
 * Returns the path of the first string, key or value, that {@link isStorableString} refuses, at
 * any depth up to {@link MAX_DATA_DEPTH}, else `undefined`. Unstorable characters in the path
 * are written as `\uXXXX` escapes, so the path itself is storable.
 */
export function findUnstorableString(value: unknown, path = '', depth = 0): string | undefined {
  // The path is only built once something was found: most values hold nothing.
  if (allStorable(value, depth)) return undefined;
  return pathOfUnstorable(value, path, depth);
}

function allStorable(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return isStorableString(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DATA_DEPTH) return true;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (!isStorableString(key)) return false;
    if (!allStorable((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

function pathOfUnstorable(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'string') return isStorableString(value) ? undefined : path || '(root)';
  if (value === null || typeof value !== 'object' || depth > MAX_DATA_DEPTH) return undefined;
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${escapeUnstorable(key)}` : escapeUnstorable(key);
    if (!isStorableString(key)) return `${here} (the key)`;
    const found = pathOfUnstorable((value as Record<string, unknown>)[key], here, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** `text` with NULs and surrogates written as `\uXXXX`, for messages. */
export function escapeUnstorable(text: string): string {
  return text.replace(
    /[\u0000\ud800-\udfff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** How a wire schema words a refused unstorable string. */
export const UNSTORABLE_MESSAGE =
  'must not contain a NUL character (U+0000) or a lone UTF-16 surrogate';
