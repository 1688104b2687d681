/**
 * Reading zod 4 schemas structurally (`schema._zod.def`), so the core does not depend on
 * zod's internal class names. Only the few properties tidesync looks at are described.
 */
export interface SchemaDef {
  readonly type: string;
  readonly innerType?: unknown;
  readonly in?: unknown;
  readonly out?: unknown;
  readonly options?: readonly unknown[];
  readonly shape?: Readonly<Record<string, unknown>>;
  readonly catchall?: unknown;
  readonly element?: unknown;
  readonly items?: readonly unknown[];
  readonly rest?: unknown;
  readonly keyType?: unknown;
  readonly valueType?: unknown;
  readonly left?: unknown;
  readonly right?: unknown;
  readonly getter?: () => unknown;
}

/** The definition of a zod 4 schema, or `undefined` for anything else. */
export function schemaDef(schema: unknown): SchemaDef | undefined {
  if (schema === null || typeof schema !== 'object') return undefined;
  const def = (schema as { _zod?: { def?: unknown } })._zod?.def;
  if (def === null || typeof def !== 'object') return undefined;
  return typeof (def as { type?: unknown }).type === 'string' ? (def as SchemaDef) : undefined;
}

/** Wrappers whose value is their `innerType`'s value (JSON-wise). */
export const WRAPPER_TYPES: ReadonlySet<string> = new Set([
  'optional',
  'nullable',
  'default',
  'prefault',
  'nonoptional',
  'readonly',
  'catch',
]);

/** Schema types whose values may be plain objects (so an object in a query is a value). */
const OBJECT_VALUED: ReadonlySet<string> = new Set([
  'object',
  'record',
  'any',
  'unknown',
  'intersection',
  'custom',
]);

/** True when values of `schema` can be plain objects, or when that cannot be told. */
export function acceptsObjectValues(schema: unknown, depth = 0): boolean {
  const def = schemaDef(schema);
  if (!def || depth > 32) return true;
  if (OBJECT_VALUED.has(def.type)) return true;
  if (WRAPPER_TYPES.has(def.type)) return acceptsObjectValues(def.innerType, depth + 1);
  if (def.type === 'pipe') return acceptsObjectValues(def.out, depth + 1);
  if (def.type === 'lazy') return def.getter ? acceptsObjectValues(def.getter(), depth + 1) : true;
  if (def.type === 'union')
    return (def.options ?? []).some((o) => acceptsObjectValues(o, depth + 1));
  return false;
}

/** True when an object schema keeps keys it does not declare (`z.looseObject`, `.catchall()`). */
export function keepsUnknownKeys(schema: unknown): boolean {
  const catchall = schemaDef(schemaDef(schema)?.catchall);
  return catchall !== undefined && catchall.type !== 'never';
}
