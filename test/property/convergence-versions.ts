// Schema versions of the S34 convergence property test (convergence.test.ts): clients start on
// random versions of `todos` and update their app mid-run, the server runs the latest version,
// so ops made under every version arrive in every order and go through the migrations (and
// pulls come back down through the reverse ones). Each step moves `done` to another encoding,
// losslessly, so the oracle can move every write the test made to the latest version:
//   v1: done is a boolean; v2: 0 or 1; v3: 'no' or 'yes'.
// (Renames and added fields are covered by test/schema/; a renamed field's clock becomes the
// write's, which a per-field oracle cannot predict.)
import type { ConflictStrategy, RecordData } from 'tidesync';
import { defineCollection, migrateData, migratePatch } from 'tidesync';
import { z } from 'zod';
import type { Intent } from './convergence-oracle.js';

export type TodoVersion = 1 | 2 | 3;
export const LATEST: TodoVersion = 3;

const withDone = (data: RecordData, map: (done: unknown) => unknown): RecordData =>
  Object.hasOwn(data, 'done') ? { ...data, done: map(data['done']) } : data;

const migrations = {
  2: {
    up: (d: RecordData) => withDone(d, (done) => (done === true ? 1 : 0)),
    down: (d: RecordData) => withDone(d, (done) => done === 1),
  },
  3: {
    up: (d: RecordData) => withDone(d, (done) => (done === 1 ? 'yes' : 'no')),
    down: (d: RecordData) => withDone(d, (done) => (done === 'yes' ? 1 : 0)),
  },
};
const doneSchema = {
  1: z.boolean(),
  2: z.union([z.literal(0), z.literal(1)]),
  3: z.enum(['no', 'yes']),
} as const;

/** `done` as the app of `version` writes it. */
export function doneAt(version: TodoVersion, done: boolean): unknown {
  return version === 1 ? done : version === 2 ? (done ? 1 : 0) : done ? 'yes' : 'no';
}

/** `todos` at `version`, with the migrations (and their reverses) up to it. */
export function todosAt(
  version: TodoVersion,
  conflict: ConflictStrategy,
  title: z.ZodType<string> = z.string(),
) {
  const schema = z.object({ title, done: doneSchema[version], projectId: z.string().nullable() });
  const base = { name: 'todos', schema, conflict, references: { projectId: 'projects' } };
  if (version === 1) return defineCollection(base);
  return defineCollection({
    ...base,
    version,
    migrations: version === 2 ? { 2: migrations[2] } : migrations,
  });
}

// What migrateData and migratePatch need of the latest definition.
const latestTodos = { name: 'todos', version: LATEST, migrations };

/** A write of the test moved to the latest version, as the server sees it after the upcast. */
export function atLatest(intent: Intent): Intent {
  const from = intent.version ?? LATEST;
  if (intent.collection !== 'todos' || from === LATEST) return intent;
  return {
    ...intent,
    version: LATEST,
    patch: migratePatch(latestTodos, intent.patch, from, LATEST),
    view: intent.view && migrateData(latestTodos, intent.view, from, LATEST),
  };
}
