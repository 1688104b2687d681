import { StorageError } from '../../core/index.js';
import type { SqliteValue } from './sqlite-driver.js';

/** A parameter for bindings that cannot bind `bigint` (sql.js, expo-sqlite, op-sqlite). */
export type NumberBoundValue = Exclude<SqliteValue, bigint>;

/**
 * Converts `bigint` parameters to numbers for bindings without `bigint` support. The adapter
 * binds safe integers only; an unsafe one is refused rather than silently rounded.
 */
export function withoutBigints(params: readonly SqliteValue[]): NumberBoundValue[] {
  return params.map((p) => {
    if (typeof p !== 'bigint') return p;
    if (p > BigInt(Number.MAX_SAFE_INTEGER) || p < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new StorageError(
        'STORAGE_FAILED',
        `The SQLite binding cannot bind ${String(p)}n: it has no bigint and the value is beyond Number.MAX_SAFE_INTEGER. Use a binding with bigint support (better-sqlite3) or keep integers within ±2^53.`,
      );
    }
    return Number(p);
  });
}

/**
 * Splits SQL text into single statements on `;` outside quotes and comments, for bindings that
 * run one statement per call. The adapter's own DDL has no triggers (no `;` inside a statement).
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
    } else if (ch === ';') {
      statements.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  statements.push(sql.slice(start));
  return statements.map((s) => s.trim()).filter((s) => s.length > 0 && !/^(--[^\n]*\s*)+$/.test(s));
}
