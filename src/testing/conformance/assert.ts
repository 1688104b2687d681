/**
 * A tiny framework-neutral assertion kit for conformance suites. It throws plain `Error`s with
 * readable messages, so the same suite runs under vitest and inside a browser page.
 */

/** Describes a value for an assertion message, cutting very long values short. */
function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 400 ? `${text.slice(0, 397)}... (${text.length} chars)` : text;
}

/** Finds the first path where `a` and `b` differ, or `undefined` when they are deeply equal. */
function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || (Number.isNaN(a) && Number.isNaN(b)) ? undefined : path || '(root)';
  }
  if (a === b) return undefined;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return path || '(root)';
  }
  if (Array.isArray(a) !== Array.isArray(b)) return path || '(root)';
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path || '(root)'}.length`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const key of [...keys].sort()) {
    const child = path ? `${path}.${key}` : key;
    if (Object.hasOwn(ra, key) !== Object.hasOwn(rb, key)) return child;
    const d = firstDifference(ra[key], rb[key], child);
    if (d !== undefined) return d;
  }
  return undefined;
}

/**
 * Throws unless `actual` deeply equals `expected` (same own keys, same array lengths, `===` for
 * primitives, `NaN` equal to itself).
 *
 * @throws Error naming `message`, the first differing path, and both values.
 */
export function assertEqual(actual: unknown, expected: unknown, message: string): void {
  const diff = firstDifference(actual, expected, '');
  if (diff === undefined) return;
  throw new Error(
    `${message}: values differ at ${diff}.\n  actual:   ${show(actual)}\n  expected: ${show(expected)}`,
  );
}

/**
 * Throws unless `condition` is true.
 *
 * @throws Error with `message`.
 */
export function assertTrue(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`${message}: expected a true condition.`);
}

/**
 * Awaits `promise` and throws unless it rejects; when `code` is given, the rejection must carry
 * that `TidesyncError` code. Resolves with the rejection reason so callers can check more.
 *
 * @throws Error when the promise resolves, or rejects with another code.
 */
export async function assertRejects(
  promise: Promise<unknown>,
  code?: string,
  message = 'expected a rejection',
): Promise<unknown> {
  let result: unknown;
  try {
    result = await promise;
  } catch (error) {
    if (code !== undefined) {
      const actual = (error as { code?: unknown } | null)?.code;
      if (actual !== code) {
        throw new Error(
          `${message}: expected a rejection with code ${code}, got ${show(actual)} ` +
            `(${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}).`,
        );
      }
    }
    return error;
  }
  throw new Error(`${message}: the promise resolved with ${show(result)} instead of rejecting.`);
}
