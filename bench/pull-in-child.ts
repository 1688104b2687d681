import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { PullChildResult } from './pull-child.js';

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
let bundle: Promise<string> | undefined;

/**
 * Bundles the child entry once with esbuild (tidesync from src, native and CommonJS peers left
 * external), so the child runs on plain Node without a TypeScript loader inflating its RSS.
 */
export function childBundle(): Promise<string> {
  bundle ??= (async () => {
    // Inside node_modules so that the bundle's external imports resolve to the project's packages.
    const cache = root('node_modules/.cache/tidesync-bench');
    mkdirSync(cache, { recursive: true });
    const outfile = join(cache, 'pull-child.mjs');
    await build({
      entryPoints: [root('bench/pull-child.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
      nodePaths: [root('node_modules')],
      alias: {
        'tidesync/adapters/memory': root('src/adapters/memory/index.ts'),
        'tidesync/adapters/sqlite': root('src/adapters/sqlite/index.ts'),
        'tidesync/server': root('src/server/index.ts'),
        tidesync: root('src/index.ts'),
      },
      external: [
        'better-sqlite3',
        'pouchdb',
        'pouchdb-adapter-memory',
        'express',
        'express-pouchdb',
        'pg',
      ],
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
    return outfile;
  })();
  return bundle;
}

/** Replicas W3 can pull into, each in its own process. */
export type PullReplica =
  'tidesync-memory' | 'tidesync-sqlite' | 'tidesync-sqlite-heap64' | 'rxdb' | 'pouchdb';

/** Heap cap of the `-heap64` replica: a pull that fits holds no more than this in live objects. */
const HEAP_CAP = '--max-old-space-size=64';

/**
 * Runs one fresh pull from `url` in a child Node process (tsx), so its peak RSS is its own.
 * @throws Error when the child fails or reports a different record count than `expected`.
 */
export function pullInChild(
  replica: PullReplica,
  url: string,
  expected: number,
): Promise<PullChildResult> {
  return childBundle().then((file) => runChild(file, replica, url, expected));
}

function runChild(
  file: string,
  replica: PullReplica,
  url: string,
  expected: number,
): Promise<PullChildResult> {
  return new Promise((resolve, reject) => {
    const capped = replica.endsWith('-heap64');
    const args = capped
      ? [HEAP_CAP, file, replica.replace(/-heap64$/, ''), url]
      : [file, replica, url];
    const child = spawn(process.execPath, args, {
      cwd: root('.'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`${replica} pull child exited ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      const result = JSON.parse(line) as PullChildResult;
      if (result.count !== expected) {
        reject(new Error(`${replica} pulled ${result.count} records, expected ${expected}`));
        return;
      }
      resolve(result);
    });
  });
}
