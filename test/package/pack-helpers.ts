/** Builds and packs tidesync, and installs the tarball into a throwaway consumer project. */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Root of the repository. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every public subpath of the package (package.json `exports`, minus `./package.json`). */
export const SUBPATHS = [
  'tidesync',
  'tidesync/adapters/memory',
  'tidesync/adapters/sqlite',
  'tidesync/adapters/indexeddb',
  'tidesync/server',
  'tidesync/testing',
  'tidesync/testing/vitest',
  'tidesync/react',
] as const;

/** Runs a command, failing with its output when it exits non-zero. */
export async function run(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(command, [...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
    );
  }
}

/** `npm pack` into `destination`; returns the tarball path and the packed file list. */
export async function pack(destination: string): Promise<{ tarball: string; files: string[] }> {
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--pack-destination', destination],
    REPO_ROOT,
  );
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack printed no result: ${stdout}`);
  return { tarball: join(destination, info.filename), files: info.files.map((f) => f.path) };
}

/** The version range of a dev dependency of this repo, so the consumer installs from the npm cache. */
function devVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const version = pkg.devDependencies[name];
  if (!version) throw new Error(`${name} is not a dev dependency`);
  return version;
}

/**
 * Creates a consumer project in `dir` and installs the tarball into it, with the optional
 * peers the subpaths need at import time (`react` for tidesync/react, `vitest` for
 * tidesync/testing). Native peers are not needed to import: better-sqlite3 and pg are passed in.
 */
export async function installConsumer(dir: string, tarball: string): Promise<void> {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  await run(
    'npm',
    [
      'install',
      tarball,
      `react@${devVersion('react')}`,
      `vitest@${devVersion('vitest')}`,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    dir,
  );
}
