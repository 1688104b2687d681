// The expo-sqlite and op-sqlite drivers' structural types against the packages' real type
// declarations (vendored in fixtures/react-native-types): the real database objects must be
// accepted as they are, and the old docs driver that passed `bigint` to op-sqlite must not.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../package/pack-helpers.js';
import { REACT_NATIVE_TYPE_PATHS } from './react-native-types.js';

const dir = join(REPO_ROOT, 'test-artifacts', 'react-native-driver-types');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SOURCES = {
  accepts: `import type { SQLiteDatabase } from 'expo-sqlite';
import type { DB } from '@op-engineering/op-sqlite';
import type { NumberBoundValue, SqliteDriver } from 'tidesync/adapters/sqlite';
import { expoSqliteDriver, opSqliteDriver } from 'tidesync/adapters/sqlite';
declare const expoDb: SQLiteDatabase;
declare const opDb: DB;
export const drivers: SqliteDriver[] = [expoSqliteDriver(expoDb), opSqliteDriver(opDb)];
// The call shapes the drivers rely on, pinned (TypeScript compares generic methods loosely).
declare const params: NumberBoundValue[];
export const first: Promise<{ a: number } | null> = expoDb.getFirstAsync<{ a: number }>('', params);
export const all: Promise<{ a: number }[]> = expoDb.getAllAsync<{ a: number }>('', params);
export const run: Promise<{ changes: number }> = expoDb.runAsync('', params);
export const exec: Promise<void> = expoDb.execAsync('');
export const closed: Promise<void> = expoDb.closeAsync();
export const executed: Promise<{ rowsAffected: number; rows: Record<string, unknown>[] }> =
  opDb.execute('', params);
export const closedOp: void = opDb.close();
`,
  wrongCall: `import { openDatabaseAsync } from 'expo-sqlite';
import { open } from '@op-engineering/op-sqlite';
export const a = openDatabaseAsync(42);
export const b = open({ nom: 'app.db' });
`,
  bigint: `import type { DB } from '@op-engineering/op-sqlite';
import type { SqliteValue } from 'tidesync/adapters/sqlite';
declare const db: DB;
declare const params: readonly SqliteValue[];
export const run = db.execute('SELECT 1', [...params]);
`,
} as const;

let diagnostics: Record<keyof typeof SOURCES, string[]> | undefined;

/** Compiles every source in one program (one program is most of the cost) and memoises. */
function diagnose(name: keyof typeof SOURCES): string[] {
  if (!diagnostics) {
    mkdirSync(dir, { recursive: true });
    const files = Object.entries(SOURCES).map(([key, source]) => {
      const file = join(dir, `${key}.ts`);
      writeFileSync(file, source);
      return [key, file] as const;
    });
    const config = ts.getParsedCommandLineOfConfigFile(
      join(REPO_ROOT, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    )!;
    const program = ts.createProgram({
      rootNames: files.map(([, file]) => file),
      options: {
        ...config.options,
        noEmit: true,
        paths: { ...config.options.paths, ...REACT_NATIVE_TYPE_PATHS },
      },
    });
    diagnostics = Object.fromEntries(
      files.map(([key, file]) => [
        key,
        ts
          .getPreEmitDiagnostics(program, program.getSourceFile(file))
          .map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')),
      ]),
    ) as Record<keyof typeof SOURCES, string[]>;
  }
  return diagnostics[name];
}

describe('React Native SQLite drivers against the real packages types', () => {
  it('accept expo-sqlite SQLiteDatabase and op-sqlite DB as they are', () => {
    const errors = diagnose('accepts');
    expect(errors).toEqual([]);
  });

  it('resolve the real declarations (a wrong call on them is an error)', () => {
    const errors = diagnose('wrongCall');
    expect(errors).toEqual([
      expect.stringContaining("'number' is not assignable to parameter of type 'string'"),
      expect.stringContaining("'nom' does not exist"),
    ]);
  });

  it('refuse a driver that passes SqliteValue (with bigint) to op-sqlite execute', () => {
    const errors = diagnose('bigint');
    expect(errors.join('\n')).toMatch(/bigint/);
  });
});
