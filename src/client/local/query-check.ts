import type { CollectionDefinition, Query } from '../../core/index.js';
import {
  META_FIELDS,
  QUERY_OPERATORS,
  TidesyncError,
  acceptsObjectValues,
  describeValue,
  keepsUnknownKeys,
  shapeOf,
} from '../../core/index.js';

const OPERATORS: ReadonlySet<string> = new Set(QUERY_OPERATORS);
const METADATA: ReadonlySet<string> = new Set(META_FIELDS);
const OPERATOR_LIST = QUERY_OPERATORS.join(', ');

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function invalid(message: string): TidesyncError {
  return new TidesyncError('INVALID_QUERY', message);
}

/** The schema of `field`, `null` for metadata, or throws `INVALID_QUERY` for an unknown one. */
function fieldSchema(definition: CollectionDefinition, field: string, where: string): unknown {
  if (METADATA.has(field)) return null;
  const shape = shapeOf(definition.schema);
  if (Object.hasOwn(shape, field)) return shape[field];
  if (keepsUnknownKeys(definition.schema)) return undefined;
  const known = [...Object.keys(shape), ...META_FIELDS].map((f) => `\`${f}\``).join(', ');
  throw invalid(
    `Unknown field \`${field}\` in the ${where} of a query on \`${definition.name}\`. Use one of ${known}.`,
  );
}

function checkCondition(definition: CollectionDefinition, field: string, condition: unknown): void {
  const schema = fieldSchema(definition, field, '`where`');
  if (!isPlainObject(condition)) return;
  const keys = Object.keys(condition);
  const unknown = keys.filter((k) => !OPERATORS.has(k));
  if (keys.length > 0 && unknown.length === 0) {
    if ('in' in condition && !Array.isArray(condition['in'])) {
      throw invalid(
        `Expected \`in\` on \`${definition.name}.${field}\` to be an array, got ${describeValue(condition['in'])}.`,
      );
    }
    return;
  }
  // An object without operators is a value to compare with, where the field can hold objects.
  if (unknown.length === keys.length && schema !== null && acceptsObjectValues(schema)) return;
  const named = unknown.length > 0 ? `operator \`${unknown[0]}\`` : 'an empty condition `{}`';
  throw invalid(
    `Unknown ${named} on \`${definition.name}.${field}\` in a query. Use a value (equality) or one of ${OPERATOR_LIST}.`,
  );
}

/**
 * Checks a query at the boundary of `find()` and `subscribe()`: its shape, and its fields and
 * operators against the collection's schema, so a typo fails loudly instead of matching nothing.
 * @throws TidesyncError `INVALID_OPTION` for a malformed query (limit, offset, orderBy shape),
 *   `INVALID_QUERY` for an unknown field or operator.
 */
export function checkQuery(definition: CollectionDefinition, query: Query | undefined): Query {
  const collection = definition.name;
  if (query === undefined) return {};
  if (query === null || typeof query !== 'object') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected the query on \`${collection}\` to be an object, got ${describeValue(query)}.`,
    );
  }
  for (const key of ['limit', 'offset'] as const) {
    const v = query[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Expected \`${key}\` of the query on \`${collection}\` to be an integer ≥ 0, got ${describeValue(v)}.`,
      );
    }
  }
  for (const entry of query.orderBy ?? []) {
    if (
      !Array.isArray(entry) ||
      typeof entry[0] !== 'string' ||
      (entry[1] !== 'asc' && entry[1] !== 'desc')
    ) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Expected each \`orderBy\` entry on \`${collection}\` to be [field, 'asc' | 'desc'], got ${describeValue(entry)}.`,
      );
    }
    fieldSchema(definition, entry[0], '`orderBy`');
  }
  if (query.where !== undefined) {
    if (!isPlainObject(query.where)) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Expected \`where\` of the query on \`${collection}\` to be an object of field conditions, got ${describeValue(query.where)}.`,
      );
    }
    for (const [field, condition] of Object.entries(query.where)) {
      checkCondition(definition, field, condition);
    }
  }
  return query;
}
