// Shared set-up of the SQLite layout tests: the collections of the layout fixtures and a temp
// folder of database files, removed after the test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import { defineCollection, manual } from 'tidesync';
import type { StorageAdapter } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { z } from 'zod';

/** The collections of the layout fixtures (test/adapters/fixtures/make-sqlite-layout-fixture.ts). */
export const fixtureCollections = [
  defineCollection({ name: 'projects', schema: z.object({ name: z.string() }) }),
  defineCollection({
    name: 'todos',
    schema: z.object({ title: z.string(), done: z.boolean(), projectId: z.string().nullable() }),
    conflict: manual(),
    references: { projectId: 'projects' },
  }),
];

/**
 * A temp folder named `prefix…`, removed after this test file: `tempFile()` is a new database
 * path in it each call, `open(file)` an adapter on a file.
 */
export function sqliteFiles(prefix: string): {
  tempFile: () => string;
  open: (file: string) => StorageAdapter;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  return {
    tempFile: () => join(dir, `db${files++}.sqlite`),
    open: (file) => sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) }),
  };
}
