/** Bundles TypeScript page scripts for the browser with esbuild. */
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';

/** Root of the repository, for resolving entry files given relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Public entry points, resolved to sources as vitest.config.ts does for Node tests. */
const TIDESYNC_ENTRIES: Readonly<Record<string, string>> = {
  tidesync: 'src/index.ts',
  'tidesync/adapters/memory': 'src/adapters/memory/index.ts',
  'tidesync/adapters/sqlite': 'src/adapters/sqlite/index.ts',
  'tidesync/adapters/indexeddb': 'src/adapters/indexeddb/index.ts',
  'tidesync/server': 'src/server/index.ts',
  'tidesync/testing': 'src/testing/index.ts',
  'tidesync/react': 'src/react/index.ts',
};

/** Resolves `tidesync` and `tidesync/...` imports in page scripts to the sources. */
const tidesyncSources: Plugin = {
  name: 'tidesync-sources',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^tidesync(\/.*)?$/ }, (args) => {
      const target = TIDESYNC_ENTRIES[args.path];
      if (!target) return { errors: [{ text: `Unknown tidesync entry point ${args.path}` }] };
      return { path: join(REPO_ROOT, target) };
    });
  },
};

/**
 * Bundles a TypeScript entry for the browser (ESM, one file, inline source map) and returns
 * the code. `tidesync/...` imports resolve to `src/`, like in Node tests.
 * @param entry - path of the entry file, absolute or relative to the repository root.
 */
export async function bundleEntry(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [isAbsolute(entry) ? entry : join(REPO_ROOT, entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
    plugins: [tidesyncSources],
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${entry}`);
  return output.text;
}
