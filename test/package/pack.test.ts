import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as core from 'tidesync';
import * as indexeddb from 'tidesync/adapters/indexeddb';
import * as memory from 'tidesync/adapters/memory';
import * as sqlite from 'tidesync/adapters/sqlite';
import * as react from 'tidesync/react';
import * as server from 'tidesync/server';
import * as testing from 'tidesync/testing';
import * as testingVitest from 'tidesync/testing/vitest';
import {
  CJS_SCRIPT,
  ESM_SCRIPT,
  MIXED_ERRORS_SCRIPT,
  NODE_TEST_SCRIPT,
  NO_VITEST_HOOKS,
  NO_VITEST_REGISTER,
} from './consumer-script.js';
import { REPO_ROOT, SUBPATHS, installConsumer, pack, run } from './pack-helpers.js';

/** Export names of each entry, from the sources: the packed build must match them. */
const SOURCE_EXPORTS: Record<(typeof SUBPATHS)[number], string[]> = {
  tidesync: Object.keys(core).sort(),
  'tidesync/adapters/memory': Object.keys(memory).sort(),
  'tidesync/adapters/sqlite': Object.keys(sqlite).sort(),
  'tidesync/adapters/indexeddb': Object.keys(indexeddb).sort(),
  'tidesync/server': Object.keys(server).sort(),
  'tidesync/testing': Object.keys(testing).sort(),
  'tidesync/testing/vitest': Object.keys(testingVitest).sort(),
  'tidesync/react': Object.keys(react).sort(),
};

interface ConsumerReport {
  exports: Record<string, string[]>;
  errors: Record<string, string>;
  titles?: string[];
  smokeError?: string;
}

describe('the packed tarball', { timeout: 600_000 }, () => {
  let dir: string;
  let files: string[];
  let esm: ConsumerReport;
  let cjs: ConsumerReport;
  let mixed: Record<string, boolean>;
  let nodeTest: { stdout: string; failed?: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tidesync-pack-'));
    await run('npm', ['run', 'build'], REPO_ROOT);
    const packed = await pack(dir);
    files = packed.files;
    const consumer = join(dir, 'consumer');
    await run('mkdir', ['-p', consumer], dir);
    await installConsumer(consumer, packed.tarball);
    writeFileSync(join(consumer, 'check.mjs'), ESM_SCRIPT);
    writeFileSync(join(consumer, 'check.cjs'), CJS_SCRIPT);
    const node = (script: string) =>
      run(process.execPath, [script, ...SUBPATHS], consumer).then(
        (r) => JSON.parse(r.stdout) as ConsumerReport,
      );
    esm = await node('check.mjs');
    cjs = await node('check.cjs');
    writeFileSync(join(consumer, 'mixed.mjs'), MIXED_ERRORS_SCRIPT);
    mixed = JSON.parse((await run(process.execPath, ['mixed.mjs'], consumer)).stdout) as Record<
      string,
      boolean
    >;
    writeFileSync(join(consumer, 'no-vitest-hooks.mjs'), NO_VITEST_HOOKS);
    writeFileSync(join(consumer, 'no-vitest.mjs'), NO_VITEST_REGISTER);
    writeFileSync(join(consumer, 'testing.test.mjs'), NODE_TEST_SCRIPT);
    nodeTest = await run(
      process.execPath,
      ['--import', './no-vitest.mjs', '--test', 'testing.test.mjs'],
      consumer,
    ).then(
      (r) => ({ stdout: r.stdout }),
      (error: Error) => ({ stdout: '', failed: error.message }),
    );
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds only dist, README, LICENSE, CHANGELOG and package.json', () => {
    const outside = files.filter(
      (f) =>
        !f.startsWith('dist/') &&
        !['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'].includes(f),
    );
    expect(outside).toEqual([]);
    for (const f of [
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'package.json',
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'dist/index.d.cts',
    ]) {
      expect(files).toContain(f);
    }
  });

  it('imports every subpath with ESM, with the same exports as the sources', () => {
    expect(esm.errors).toEqual({});
    expect(esm.exports).toEqual(SOURCE_EXPORTS);
  });

  it('syncs a record between two clients from the installed ESM build', () => {
    expect(esm.smokeError).toBeUndefined();
    expect(esm.titles).toEqual(['from the tarball']);
  });

  it('requires every subpath but tidesync/testing with CJS, with the same exports as the sources', () => {
    const { 'tidesync/testing': _testingError, ...errors } = cjs.errors;
    const { 'tidesync/testing': _testing, ...expected } = SOURCE_EXPORTS;
    expect(errors).toEqual({});
    expect(cjs.exports).toMatchObject(expected);
  });

  it('requires tidesync/testing with CJS', () => {
    expect(cjs.errors['tidesync/testing']).toBeUndefined();
  });

  it('syncs a record between two clients from the installed CJS build', () => {
    expect(cjs.smokeError).toBeUndefined();
    expect(cjs.titles).toEqual(['from the tarball']);
  });

  it('recognises errors of the CJS build with the ESM classes, and back (mixed builds)', () => {
    expect(mixed).toEqual({
      distinctClasses: true,
      cjsInstanceofEsmBase: true,
      cjsInstanceofEsmSubclass: true,
      cjsNotOtherSubclass: true,
      esmRecognisedByCjs: true,
    });
  });

  it('runs tidesync/testing under node:test with vitest blocked', () => {
    expect(nodeTest.failed).toBeUndefined();
    expect(nodeTest.stdout).toMatch(/# pass [1-9]/);
    expect(nodeTest.stdout).toMatch(/# fail 0/);
  });

  it('keeps each entry within its .size-limit.json budget (min+gzip, ignored packages external)', async () => {
    const budgets = JSON.parse(readFileSync(join(REPO_ROOT, '.size-limit.json'), 'utf8')) as {
      name: string;
      path: string;
      ignore?: string[];
      limit: string;
    }[];
    const over: string[] = [];
    for (const budget of budgets) {
      const out = await build({
        entryPoints: [join(REPO_ROOT, budget.path)],
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'browser',
        write: false,
        external: budget.ignore ?? [],
        logLevel: 'silent',
      });
      const bytes = gzipSync(out.outputFiles[0]!.contents).length;
      const limitBytes = Number.parseFloat(budget.limit) * 1000;
      console.log(`[size] ${budget.name}: ${(bytes / 1000).toFixed(2)} kB (limit ${budget.limit})`);
      if (bytes > limitBytes) over.push(`${budget.name}: ${bytes} B > ${budget.limit}`);
    }
    expect(budgets.length).toBeGreaterThan(0);
    expect(over).toEqual([]);
  });
});
