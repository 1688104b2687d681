// Real client processes for the SIGKILL tests (crash.test.ts, kill-points.test.ts): a fixture
// bundled once to plain JS (a tsx start-up per kill would cost seconds each), spawned with
// node, its stdout read line by line.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Bundles `fixture` (a path) into node_modules/.cache, so its `import 'better-sqlite3'` resolves. */
export async function bundleFixture(fixture: string, name: string): Promise<string> {
  const cache = fileURLToPath(
    new URL('../../node_modules/.cache/tidesync-tests/', import.meta.url),
  );
  mkdirSync(cache, { recursive: true });
  const bundle = join(cache, `${name}-${process.pid}.mjs`);
  await build({
    entryPoints: [fixture],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    external: ['better-sqlite3'],
    logLevel: 'silent',
  });
  return bundle;
}

/** Removes a bundle made by {@link bundleFixture}. */
export function removeBundle(bundle: string): void {
  rmSync(bundle, { force: true });
}

/** How a child ended, and every line it printed. */
export interface ChildRun {
  readonly lines: string[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/**
 * Runs `bundle` with `args` until it exits or is killed; `onLine` sees each stdout line as it
 * arrives, with the child (to kill it or write to its stdin).
 */
export function runBundle(
  bundle: string,
  args: readonly string[],
  onLine: (line: string, child: ChildProcess) => void = () => undefined,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined); // writes to a killed child
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        onLine(line, child);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      resolve({ lines, code, signal, stderr: stderr.slice(-2000) }),
    );
  });
}
