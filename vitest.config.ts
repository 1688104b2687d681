import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^tidesync\/adapters\/memory$/, replacement: src('adapters/memory/index.ts') },
      { find: /^tidesync\/adapters\/sqlite$/, replacement: src('adapters/sqlite/index.ts') },
      { find: /^tidesync\/adapters\/indexeddb$/, replacement: src('adapters/indexeddb/index.ts') },
      { find: /^tidesync\/server$/, replacement: src('server/index.ts') },
      { find: /^tidesync\/testing\/vitest$/, replacement: src('testing/vitest.ts') },
      { find: /^tidesync\/testing$/, replacement: src('testing/index.ts') },
      { find: /^tidesync\/react$/, replacement: src('react/index.ts') },
      { find: /^tidesync$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
