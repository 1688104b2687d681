// The SQL stores put `tablePrefix` (SQLite) and `schema` (Postgres) into SQL text, so both
// refuse anything but a safe identifier, with an error that names the option.
import Database from 'better-sqlite3';
import { postgresServerStore, sqliteServerStore } from 'tidesync/server';
import type { PostgresPool } from 'tidesync/server';
import { describe, expect, it } from 'vitest';

const unusedPool = {} as PostgresPool;

describe('SQL store identifier options', () => {
  it('sqliteServerStore refuses an unsafe tablePrefix and names it', () => {
    const db = new Database(':memory:');
    try {
      expect(() => sqliteServerStore(db, { tablePrefix: 'x; DROP' })).toThrow(
        expect.objectContaining({
          code: 'INVALID_OPTION',
          message:
            'Expected `tablePrefix` to be lowercase letters, digits or _, got `"x; DROP"` (string).',
        }),
      );
      expect(sqliteServerStore(db, { tablePrefix: 'app_1_' }).kind).toBe('sqlite');
    } finally {
      db.close();
    }
  });

  it('postgresServerStore refuses an unsafe schema and names it', () => {
    expect(() => postgresServerStore(unusedPool, { schema: 'Public' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTION',
        message: 'Expected `schema` to be lowercase letters, digits or _, got `"Public"` (string).',
      }),
    );
  });
});
