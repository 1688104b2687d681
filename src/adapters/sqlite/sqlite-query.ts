import type { Query } from '../../core/index.js';
import { isOperatorCondition } from '../../core/index.js';
import type { SqliteValue } from './sqlite-driver.js';

/** A SQL condition plus its parameters. */
export interface SqlFilter {
  readonly sql: string;
  readonly params: SqliteValue[];
  /** An `INDEXED BY` clause when the filter should use the partial index of conflicts. */
  readonly indexedBy: string;
}

const COLUMNS: Readonly<Record<string, string>> = {
  id: 'id',
  serverId: 'server_id',
  syncStatus: 'sync_status',
  updatedAt: 'updated_at',
};

const STATUSES: ReadonlySet<unknown> = new Set(['synced', 'pending', 'conflicted']);
const SIMPLE_FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A value whose SQL equality is never narrower than core's `compareValues` equality. */
function pushable(value: unknown): value is string | number {
  if (typeof value === 'string') return !LONE_SURROGATE.test(value);
  // Integers only: some SQLite builds parse JSON decimals off by one ulp.
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/**
 * Builds a SQL pre-filter from a query's `where`: equality and `in` on strings and integers, on
 * metadata columns and on top-level data fields (`json_extract`). It only ever keeps a
 * SUPERSET of the matching rows; core `applyQuery` then gives the exact result. SQL and core
 * order mixed types differently (a JSON `true` extracts as `1`, booleans sort before numbers in
 * core but not in SQL), so ranges, null, booleans and objects are left to `applyQuery`.
 */
export function whereToSql(where: Query['where'], useJson: boolean): SqlFilter {
  const clauses: string[] = [];
  const params: SqliteValue[] = [];
  let indexedBy = '';
  for (const [field, condition] of Object.entries(where ?? {})) {
    let values: readonly unknown[];
    if (!isOperatorCondition(condition)) values = [condition];
    else {
      const ops = condition as Record<string, unknown>;
      if ('eq' in ops) values = [ops['eq']];
      else if (Array.isArray(ops['in'])) values = ops['in'] as unknown[];
      else continue;
    }
    if (values.length === 0) {
      clauses.push('0');
      continue;
    }
    if (!values.every(pushable) || values.length > 100) continue;
    const column = COLUMNS[field];
    let target: string;
    if (column !== undefined) target = column;
    else if (useJson && SIMPLE_FIELD.test(field)) target = `json_extract(data, '$.${field}')`;
    else continue;
    if (target === 'sync_status' && values.length === 1 && STATUSES.has(values[0])) {
      // A literal, not a parameter: only then can SQLite use the partial index of conflicts,
      // and without statistics it has to be told to (it would rather scan the collection).
      clauses.push(`sync_status = '${String(values[0])}'`);
      if (values[0] === 'conflicted') indexedBy = ' INDEXED BY tidesync_records_conflicted';
      continue;
    }
    clauses.push(`${target} IN (${values.map(() => '?').join(', ')})`);
    params.push(...(values as (string | number)[]));
  }
  return { sql: clauses.length > 0 ? ` AND ${clauses.join(' AND ')}` : '', params, indexedBy };
}
