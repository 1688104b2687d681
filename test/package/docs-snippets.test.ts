import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { REACT_NATIVE_TYPE_PATHS } from '../adapters/react-native-types.js';
import { FOREIGN_MODULES } from './docs-snippets-modules.js';
import { REPO_ROOT } from './pack-helpers.js';

/** Pages whose ```ts / ```tsx blocks must compile as written (each block is its own module): all. */
const PAGES = [
  'README.md',
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

/**
 * What a snippet may use without importing it: the app's own functions and the objects the
 * surrounding prose set up (a client, the todos collection). Anything from tidesync, zod,
 * React or Node must be imported by the snippet itself.
 */
const CONTEXT = `
import type {
  Collection,
  CollectionDefinition,
  InferRecord,
  StorageAdapter,
  SyncClient,
  Transport,
} from 'tidesync';
import type { SyncServer } from 'tidesync/server';
import type { FakeClock } from 'tidesync/testing';
import type BetterSqlite3 from 'better-sqlite3';
import type { projects as P, todos as T } from './collections.js';
declare global {
  const client: SyncClient;
  /** A collection handle, as in \`const col = client.collection(todos)\`. */
  const col: Collection<InferRecord<typeof T>>;
  const todos: typeof T;
  const projects: typeof P;
  const server: SyncServer;
  const clock: FakeClock;
  const collections: CollectionDefinition[];
  const storage: StorageAdapter;
  const transport: Transport;
  const db: BetterSqlite3.Database;
  const file: string;
  const ms: number;
  const input: { title: string; done: boolean; projectId: string | null };
  const p1: string;
  const p2: string;
  const since: number;
  function render(rows: readonly unknown[]): void;
  function verifyToken(header: string | null): Promise<{ userId: string; id: string } | null>;
  function getToken(): Promise<string>;
  function showFieldErrors(issues: readonly { path: string; message: string }[]): void;
  function showInvalid(id: string, message: string): void;
  function askToFreeSpace(): void;
  function askUser(question: string): Promise<boolean>;
  function report(...details: unknown[]): void;
  function showBanner(collection: string, id: string): void;
  /** The app's own accessor for its one client (background tasks run without the UI). */
  function getClient(): Promise<SyncClient>;
  function token(): string;
  const id: string;
  const threadId: string;
  const userId: string;
  /** The app's data directory. */
  const dir: string;
  const keyFromKeychain: string;
  const keyFromSecureStore: string;
  /** Three versions of the todos collection (docs/schema-evolution.md). */
  const todosV1: CollectionDefinition;
  const todosV2: CollectionDefinition;
  const todosV3: CollectionDefinition;
  /** A storage adapter of your own (docs/adapters.md, "Writing your own adapter"). */
  function myAdapter(options?: { name: string }): StorageAdapter;
}
export {};
`;

const COLLECTIONS = `
import { z } from 'zod';
import { defineCollection, fieldMerge } from 'tidesync';
export const projects = defineCollection({ name: 'projects', schema: z.object({ name: z.string() }) });
export const todos = defineCollection({
  name: 'todos',
  schema: z.object({
    title: z.string(),
    done: z.boolean(),
    projectId: z.string().nullable().optional(),
  }),
  conflict: fieldMerge(),
  references: { projectId: 'projects' },
});
`;

const dir = join(REPO_ROOT, 'test-artifacts', 'docs-snippets');

function extract(): { file: string; page: string; line: number }[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'context.d.ts'), CONTEXT);
  writeFileSync(join(dir, 'collections.ts'), COLLECTIONS);
  writeFileSync(join(dir, 'foreign-modules.d.ts'), FOREIGN_MODULES);
  const files: { file: string; page: string; line: number }[] = [];
  for (const page of PAGES) {
    const text = readFileSync(join(REPO_ROOT, page), 'utf8');
    for (const m of text.matchAll(/^```(ts|tsx)\n([\s\S]*?)^```/gm)) {
      const line = text.slice(0, m.index).split('\n').length + 1;
      const file = join(dir, `${page.replace(/[/.]/g, '_')}_${line}.${m[1]}`);
      writeFileSync(file, `${m[2]}\nexport {};\n`);
      files.push({ file, page, line });
    }
  }
  return files;
}

describe('docs code blocks', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compile as written (README and every docs/ page)', () => {
    const files = extract();
    expect(files.length).toBeGreaterThan(10);
    const config = ts.getParsedCommandLineOfConfigFile(
      join(REPO_ROOT, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    )!;
    const program = ts.createProgram({
      rootNames: [
        ...files.map((f) => f.file),
        join(dir, 'context.d.ts'),
        join(dir, 'foreign-modules.d.ts'),
      ],
      options: {
        ...config.options,
        noUnusedLocals: false,
        noEmit: true,
        paths: { ...config.options.paths, ...REACT_NATIVE_TYPE_PATHS },
      },
    });
    const byFile = new Map(files.map((f) => [f.file, f]));
    const errors = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? byFile.get(d.file.fileName) : undefined;
      const at =
        d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const line = where && at ? where.line + at.line : '?';
      return `${where?.page ?? d.file?.fileName ?? ''}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
    expect(errors).toEqual([]);
  });
});
