import { WRAPPER_TYPES, schemaDef } from './schema-def.js';

/** A schema part whose values do not survive a JSON round trip, with the way out. */
export interface NonJsonField {
  /** Dotted path from the collection, such as `todos.dueAt` or `todos.tags[]`. */
  readonly path: string;
  /** How the schema reads, such as `z.date()`. */
  readonly schema: string;
  /** What to store instead. */
  readonly fix: string;
}

/** zod types whose values JSON cannot carry, with what to store instead. */
const REFUSED: Readonly<Record<string, { readonly schema: string; readonly fix: string }>> = {
  date: {
    schema: 'z.date()',
    fix: 'store an ISO string (z.iso.datetime()) or epoch ms (z.number())',
  },
  bigint: {
    schema: 'z.bigint()',
    fix: 'store a decimal string (z.string()) or a safe integer (z.number().int())',
  },
  map: { schema: 'z.map()', fix: 'store a plain object (z.record(keySchema, valueSchema))' },
  set: { schema: 'z.set()', fix: 'store an array (z.array(itemSchema))' },
  transform: {
    schema: 'a transform',
    fix: 'the server and other devices never run it; store the output shape and convert in app code',
  },
  function: { schema: 'z.function()', fix: 'functions cannot be stored; store data instead' },
  symbol: { schema: 'z.symbol()', fix: 'store a string (z.string() or z.enum([...]))' },
  promise: { schema: 'z.promise()', fix: 'store the resolved value' },
  nan: { schema: 'z.nan()', fix: 'JSON turns NaN into null; store z.number().nullable()' },
  file: { schema: 'z.file()', fix: 'store a URL or a base64 string (z.string())' },
  undefined: {
    schema: 'z.undefined()',
    fix: 'JSON drops undefined; use z.null(), or .optional() on a real type',
  },
  void: {
    schema: 'z.void()',
    fix: 'JSON drops undefined; use z.null(), or .optional() on a real type',
  },
};

/** `undefined` and `void` are fine as one member of a union (the field is then optional). */
const UNION_ONLY: ReadonlySet<string> = new Set(['undefined', 'void']);

/**
 * The first part of `schema` whose values do not survive `JSON.stringify` / `JSON.parse`
 * unchanged (dates, bigints, maps, sets, transforms, functions, symbols, undefined-only), or
 * `undefined` when every value round-trips. Walks objects, arrays, tuples, records, unions,
 * intersections, pipes, lazy schemas and the optional/nullable/default wrappers.
 */
export function findNonJsonField(schema: unknown, path: string): NonJsonField | undefined {
  return walk(schema, path, new Set(), false);
}

function walk(
  schema: unknown,
  path: string,
  seen: Set<unknown>,
  inUnion: boolean,
): NonJsonField | undefined {
  const def = schemaDef(schema);
  if (!def || seen.has(schema)) return undefined;
  seen.add(schema);
  try {
    const refused = REFUSED[def.type];
    if (refused && !(inUnion && UNION_ONLY.has(def.type))) return { path, ...refused };
    if (WRAPPER_TYPES.has(def.type)) return walk(def.innerType, path, seen, inUnion);
    switch (def.type) {
      case 'object': {
        for (const [key, field] of Object.entries(def.shape ?? {})) {
          const found = walk(field, `${path}.${key}`, seen, false);
          if (found) return found;
        }
        return walk(def.catchall, `${path}.*`, seen, false);
      }
      case 'array':
        return walk(def.element, `${path}[]`, seen, false);
      case 'tuple': {
        const items = def.items ?? [];
        for (let i = 0; i < items.length; i += 1) {
          const found = walk(items[i], `${path}[${i}]`, seen, false);
          if (found) return found;
        }
        return walk(def.rest, `${path}[]`, seen, false);
      }
      case 'record':
        return walk(def.valueType, `${path}.*`, seen, false);
      case 'union': {
        for (const option of def.options ?? []) {
          const found = walk(option, path, seen, true);
          if (found) return found;
        }
        return undefined;
      }
      case 'intersection':
        return walk(def.left, path, seen, false) ?? walk(def.right, path, seen, false);
      case 'pipe':
        return walk(def.in, path, seen, inUnion) ?? walk(def.out, path, seen, inUnion);
      case 'lazy':
        return def.getter ? walk(def.getter(), path, seen, inUnion) : undefined;
      default:
        return undefined;
    }
  } finally {
    // Only a cycle through the same schema is skipped; a schema reused in two places is checked in both.
    seen.delete(schema);
  }
}
