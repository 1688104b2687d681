// Sync sets on the wire: the subset a device asks the server for (issue 19), and the shared
// rule that decides whether a record belongs to it (the server and the client both use it).
import * as z from 'zod/mini';

/** A value a sync set matches a field against: a JSON scalar. */
export type SyncSetValue = string | number | boolean | null;

/** One field's condition in a sync set: a value (equality) or `{ in: [...] }`. */
export type SyncSetCondition = SyncSetValue | { readonly in: readonly SyncSetValue[] };

/** Which records a sync set covers: every field's condition holds (top-level fields only). */
export type SyncSetWhere = Readonly<Record<string, SyncSetCondition>>;

/** Hard cap of values in one `in` list on the wire; servers apply a lower `maxSetValues`. */
export const MAX_SYNC_SET_WIRE_VALUES = 1000;
/** Hard cap of fields in one sync set's `where`. */
export const MAX_SYNC_SET_FIELDS = 16;

const scalar = z.union([
  z.string().check(z.maxLength(1024)),
  z.number().check(z.refine(Number.isFinite, 'expected a finite number')),
  z.boolean(),
  z.null(),
]);
const condition = z.union([
  scalar,
  z.strictObject({
    in: z.array(scalar).check(z.minLength(1), z.maxLength(MAX_SYNC_SET_WIRE_VALUES)),
  }),
]);
const fieldName = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(64),
    z.regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'expected a top-level field name'),
  );

/** A sync set's `where` on the wire: 1-16 top-level fields, each a scalar or `{ in }`. */
export const syncSetWhereSchema = z.record(fieldName, condition).check(
  z.refine((where) => Object.keys(where).length >= 1, 'expected at least one field'),
  z.refine(
    (where) => Object.keys(where).length <= MAX_SYNC_SET_FIELDS,
    `expected at most ${MAX_SYNC_SET_FIELDS} fields`,
  ),
);

/**
 * The `set` field of a pull request: pull the changes of this one sync set instead of the
 * feed of `sync: 'all'` collections. The request's `cursor` is then the set's own cursor.
 */
export const syncSetSpecSchema = z.strictObject({
  collection: z.string().check(z.minLength(1), z.maxLength(128)),
  where: syncSetWhereSchema,
});
export type SyncSetSpec = z.infer<typeof syncSetSpecSchema>;

/** The values a condition accepts. */
export function conditionValues(condition: SyncSetCondition): readonly SyncSetValue[] {
  return condition !== null && typeof condition === 'object' ? condition.in : [condition];
}

/** The index key of a value: its JSON text (`"p1"`, `3`, `true`, `null`). */
export function setValueKey(value: unknown): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number' && Number.isFinite(value)) return JSON.stringify(value);
  return undefined;
}

/**
 * Whether record data belongs to a sync set: each field's value equals the condition's value
 * (or one of its `in` values). A missing field matches nothing (not even `null`).
 */
export function matchesSyncSet(
  data: Readonly<Record<string, unknown>>,
  where: SyncSetWhere,
): boolean {
  for (const [field, cond] of Object.entries(where)) {
    if (!Object.hasOwn(data, field)) return false;
    const key = setValueKey(data[field]);
    if (key === undefined) return false;
    if (!conditionValues(cond).some((value) => setValueKey(value) === key)) return false;
  }
  return true;
}

/**
 * A stable text of a `where` (fields sorted, `in` values sorted and de-duplicated): two sets
 * that cover the same records have the same text.
 */
export function canonicalWhere(where: SyncSetWhere): string {
  const fields = Object.keys(where).sort();
  return JSON.stringify(
    fields.map((field) => [
      field,
      [...new Set(conditionValues(where[field]!).map((v) => setValueKey(v)!))].sort(),
    ]),
  );
}
