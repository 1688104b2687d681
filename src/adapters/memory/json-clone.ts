import type { StoredRecord } from '../../core/index.js';

/**
 * Deep copy of a JSON-like value (plain objects, arrays, primitives) — what the memory adapter
 * stores and hands out. Several times faster than `structuredClone` for the small objects a
 * record holds; anything that is not a plain object or array (a `Date`, a `Map`) falls back to
 * `structuredClone`, so values keep the same shape they had before this fast path.
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i += 1) out[i] = cloneJson(value[i] as unknown);
    return out as T;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = cloneJson((value as Record<string, unknown>)[key]);
    // A plain assignment to `__proto__` would set the prototype instead of a property.
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: item,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[key] = item;
    }
  }
  return out as T;
}

/**
 * Copy of a stored record. Field clocks equal to the record's `hlc` (every field of a record
 * written at once: all pulled inserts) share that one string instead of holding equal copies,
 * which saves about 200 bytes per record of a typical pull.
 */
export function cloneRecord(record: StoredRecord): StoredRecord {
  const out = cloneJson(record);
  const clocks = out.fieldClocks as Record<string, string> | null | undefined;
  const hlc = out.hlc;
  if (clocks && typeof hlc === 'string') {
    for (const key of Object.keys(clocks)) if (clocks[key] === hlc) clocks[key] = hlc;
  }
  return out;
}
