import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'adapters/memory/index': 'src/adapters/memory/index.ts',
    'adapters/sqlite/index': 'src/adapters/sqlite/index.ts',
    'adapters/indexeddb/index': 'src/adapters/indexeddb/index.ts',
    'server/index': 'src/server/index.ts',
    'testing/index': 'src/testing/index.ts',
    'react/index': 'src/react/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
  external: ['better-sqlite3', 'pg', 'react', 'fast-check', 'vitest', 'sql.js', 'fake-indexeddb'],
});
