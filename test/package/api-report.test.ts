import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './pack-helpers.js';

const exec = promisify(execFile);
const SCRIPT = join(REPO_ROOT, 'scripts/api-report.mjs');

interface RunResult {
  readonly code: number;
  readonly output: string;
}

/** Runs `scripts/api-report.mjs` on a package folder; never throws on a non-zero exit. */
async function apiReport(mode: '--check' | '--update', root: string): Promise<RunResult> {
  try {
    const { stdout, stderr } = await exec('node', [SCRIPT, mode, '--root', root]);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

/** Runs `--check`, expects it to fail, and returns what it printed. */
async function expectCheckFails(root: string): Promise<string> {
  const result = await apiReport('--check', root);
  expect(result).toMatchObject({ code: 1 });
  return result.output;
}

// A small package laid out as tsup builds this one: entry files that re-export, by alias,
// from a shared chunk, in an ESM (.d.ts) and a CommonJS (.d.cts) copy.
const CHUNK = `interface StoreOptions {
    readonly name: string;
    readonly maxBytes?: number;
}
interface Store {
    get(key: string): Promise<string | undefined>;
}
declare function createStore(options: StoreOptions): Store;
declare const STORE_KINDS: readonly ['memory', 'disk'];

export { type Store as S, createStore as c, STORE_KINDS as K, type StoreOptions as O };
`;
const MAIN = `import { S as Store } from './chunk-Ab12.js';
export { K as STORE_KINDS, O as StoreOptions, c as createStore } from './chunk-Ab12.js';

declare function openDefault(): Store;

export { openDefault };
`;
const EXTRA = `export { c as createStore } from '../chunk-Ab12.js';
`;

function writePackage(root: string): void {
  const entry = (path: string) => ({
    import: { types: `./dist/${path}.d.ts`, default: `./dist/${path}.js` },
    require: { types: `./dist/${path}.d.cts`, default: `./dist/${path}.cjs` },
  });
  const exportsField = { '.': entry('index'), './extra': entry('extra/index') };
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify({ name: 'fixture', exports: exportsField }),
  );
  mkdirSync(join(root, 'dist/extra'), { recursive: true });
  for (const ext of ['d.ts', 'd.cts']) {
    writeFileSync(join(root, `dist/chunk-Ab12.${ext}`), CHUNK);
    writeFileSync(join(root, `dist/index.${ext}`), MAIN);
    writeFileSync(join(root, `dist/extra/index.${ext}`), EXTRA);
  }
}

/** Replaces `from` with `to` in both declaration copies of `file` (a path under dist/, no ext). */
function edit(root: string, file: string, from: string, to: string): void {
  for (const ext of ['d.ts', 'd.cts']) {
    const path = join(root, `dist/${file}.${ext}`);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(from);
    writeFileSync(path, text.replace(from, to));
  }
}

describe('npm run api:check (scripts/api-report.mjs)', { timeout: 120_000 }, () => {
  let root: string;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'tidesync-api-report-'));
    writePackage(root);
    const update = await apiReport('--update', root);
    if (update.code !== 0) throw new Error(`api:update failed on the fixture:\n${update.output}`);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes one report per entry point, with each export and the unexported types it uses', async () => {
    const main = readFileSync(join(root, 'api/tidesync.api.md'), 'utf8');
    expect(main).toContain('## createStore (function)');
    expect(main).toContain('declare function createStore(options: StoreOptions): Store;');
    expect(main).toContain('## STORE_KINDS (const)');
    expect(main).toContain('## Store (interface), not exported');
    const extra = readFileSync(join(root, 'api/extra.api.md'), 'utf8');
    expect(extra).toContain('## StoreOptions (interface), not exported');
    expect(extra).not.toContain('openDefault');
    expect(await apiReport('--check', root)).toMatchObject({ code: 0 });
  });

  it('fails, naming the entry and the export, when an exported name is removed', async () => {
    edit(root, 'index', 'export { openDefault };', 'export {};');
    const output = await expectCheckFails(root);
    expect(output).toContain('api/tidesync.api.md:');
    expect(output).toContain('- removed: openDefault (function)');
    expect(output).toContain('npm run api:update');
  });

  it('fails with the old and new lines when a declaration changes, even in an unexported type', async () => {
    edit(root, 'chunk-Ab12', 'readonly maxBytes?: number;', 'readonly maxBytes: number;');
    const output = await expectCheckFails(root);
    expect(output).toContain('~ changed: StoreOptions');
    expect(output).toContain('-     readonly maxBytes?: number;');
    expect(output).toContain('+     readonly maxBytes: number;');
    expect(output).toContain('api/extra.api.md:');
  });

  it('fails when a name is added, when an entry has no report, and when a report has no entry', async () => {
    edit(root, 'extra/index', 'createStore }', 'createStore, K as STORE_KINDS }');
    rmSync(join(root, 'api/tidesync.api.md'));
    cpSync(join(root, 'api/extra.api.md'), join(root, 'api/gone.api.md'));
    const output = await expectCheckFails(root);
    expect(output).toContain('+ added:   STORE_KINDS (const)');
    expect(output).toContain('api/tidesync.api.md is missing');
    expect(output).toContain('api/gone.api.md belongs to no entry point');
  });

  it('fails when the CommonJS declarations of an entry differ from the ESM ones', async () => {
    const path = join(root, 'dist/extra/index.d.cts');
    writeFileSync(path, `export {};\n`);
    const output = await expectCheckFails(root);
    expect(output).toContain('./extra: the CommonJS declarations');
  });

  it('ignores comment-only edits, and api:update makes a changed surface pass again', async () => {
    edit(root, 'chunk-Ab12', 'interface Store {', '/** A key-value store. */\ninterface Store {');
    expect(await apiReport('--check', root)).toMatchObject({ code: 0 });
    edit(root, 'index', 'export { openDefault };', 'export {};');
    expect((await apiReport('--check', root)).code).toBe(1);
    expect((await apiReport('--update', root)).code).toBe(0);
    expect(await apiReport('--check', root)).toMatchObject({ code: 0 });
    expect(readFileSync(join(root, 'api/tidesync.api.md'), 'utf8')).not.toContain('openDefault');
  });
});
