import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

// vitest cannot be require()d: the CJS build of tidesync/testing/vitest links a stand-in that
// explains this when a vitest runner is called (tidesync/testing itself imports no vitest).
const vitestStandIn = fileURLToPath(
  new URL('./src/testing/cjs/vitest-unavailable.ts', import.meta.url),
);
const vitestForCjs = {
  name: 'vitest-for-cjs',
  setup(build: { onResolve(options: { filter: RegExp }, callback: () => { path: string }): void }) {
    build.onResolve({ filter: /^vitest$/ }, () => ({ path: vitestStandIn }));
  },
};

const shared: Options = {
  entry: {
    index: 'src/index.ts',
    'adapters/memory/index': 'src/adapters/memory/index.ts',
    'adapters/sqlite/index': 'src/adapters/sqlite/index.ts',
    'adapters/indexeddb/index': 'src/adapters/indexeddb/index.ts',
    'server/index': 'src/server/index.ts',
    'testing/index': 'src/testing/index.ts',
    'testing/vitest': 'src/testing/vitest.ts',
    'react/index': 'src/react/index.ts',
  },
  dts: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
  external: ['better-sqlite3', 'pg', 'react', 'fast-check', 'vitest', 'sql.js', 'fake-indexeddb'],
};

// Two builds, run in parallel. Neither cleans: tsup's declaration pass of each build deletes
// every .d.ts/.d.cts in dist, so two of them race on the same files (ENOENT on unlink).
// `npm run build` empties dist once before tsup starts instead.
export default defineConfig([
  {
    ...shared,
    format: ['esm'],
    clean: false,
  },
  {
    ...shared,
    format: ['cjs'],
    clean: false,
    // nanoid and p-queue ship ESM only: Node before 20.19 cannot require() them, so the CJS
    // build carries its own copy. The ESM build keeps them as normal dependencies.
    noExternal: ['nanoid', 'p-queue', 'p-timeout', 'vitest'],
    external: (shared.external ?? []).filter((name) => name !== 'vitest'),
    // nanoid's `browser` build uses globalThis.crypto (Node 20, browsers, React Native with
    // the usual polyfill) instead of `node:crypto`, so the CJS output is not Node-only.
    esbuildOptions(options) {
      options.conditions = ['browser'];
    },
    esbuildPlugins: [vitestForCjs],
  },
]);
