import type { FieldClocks } from '../../core/index.js';

// Layout 6: a field clock equal to its row's `hlc` (every field of an insert, the changed
// fields of an update) is stored as `0` instead of repeating the 36-character clock: about
// 150 bytes fewer per record and per op. Clocks are strings, so `0` is never a stored clock.
// Rows of older layouts hold only strings and read back unchanged.

/** What a row stores for `clocks`: each clock equal to `hlc` as `0` (`clocks` itself if none). */
export function compactFieldClocks(
  clocks: FieldClocks,
  hlc: string,
): Readonly<Record<string, string | 0>> {
  let compact: Record<string, string | 0> | undefined;
  for (const field in clocks) {
    // A `__proto__` key would become the copy's prototype: store such clocks as they are.
    if (field === '__proto__') return clocks;
    if (clocks[field] === hlc) compact ??= {};
  }
  if (!compact) return clocks;
  for (const field in clocks) {
    const clock = clocks[field]!;
    compact[field] = clock === hlc ? 0 : clock;
  }
  return compact;
}

/** Expands the `0`s of {@link compactFieldClocks} back to `hlc`, in place; returns `clocks`. */
export function expandFieldClocks(clocks: Record<string, unknown>, hlc: string): FieldClocks {
  for (const field in clocks) if (clocks[field] === 0) clocks[field] = hlc;
  return clocks as FieldClocks;
}

// Layout 7: field clocks that are exactly `fields` (the changed fields of an op, the data keys
// of a record), in order, each at the row's `hlc` are stored as `0` alone (an insert's: about
// 45 bytes fewer per record and per op). Never for a `__proto__` field.

/** Whether `clocks` holds exactly `fields`, in order, each at `hlc`. */
export function isEachAt(clocks: FieldClocks, fields: readonly string[], hlc: string): boolean {
  let i = 0;
  for (const key in clocks) {
    if (key === '__proto__' || fields[i] !== key || clocks[key] !== hlc) return false;
    i++;
  }
  return i === fields.length;
}

/** The clocks `0` stands for: each of `fields` at `hlc`. */
export function eachAt(fields: readonly string[], hlc: string): FieldClocks {
  const clocks: Record<string, string> = {};
  for (const field of fields) clocks[field] = hlc;
  return clocks;
}
