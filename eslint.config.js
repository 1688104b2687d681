import vitest from '@vitest/eslint-plugin';
import tseslint from 'typescript-eslint';

const platform = ['better-sqlite3', 'pg', 'node:*', 'fs', 'path', 'http', 'crypto', 'react'];
const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'docs/api/**',
      'examples/**/dist/**',
      'test-artifacts/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  // Boundaries (DESIGN.md section 1): imports point one way, and the core stays platform-free.
  { files: ['src/core/**'], rules: restrict([...platform, '../*', 'zod/*']) },
  {
    files: ['src/conflict/**', 'src/outbox/**'],
    rules: restrict([
      ...platform,
      '../client/*',
      '../adapters/*',
      '../transport/*',
      '../server/*',
      '../testing/*',
      '../react/*',
    ]),
  },
  {
    files: ['src/client/**'],
    rules: restrict([
      ...platform,
      '../adapters/*',
      '../transport/*',
      '../server/*',
      '../testing/*',
      '../react/*',
    ]),
  },
  {
    files: ['src/adapters/**', 'src/transport/**'],
    rules: restrict([
      '../../client/*',
      '../../server/*',
      '../../testing/*',
      '../../outbox/*',
      '../client/*',
      '../server/*',
      '../testing/*',
      '../outbox/*',
    ]),
  },
  {
    files: ['src/server/**'],
    rules: restrict([
      '../client/*',
      '../adapters/*',
      '../transport/*',
      '../testing/*',
      '../outbox/*',
      '../react/*',
    ]),
  },
  {
    files: ['test/**'],
    plugins: { vitest },
    rules: {
      ...vitest.configs.recommended.rules,
      'vitest/expect-expect': [
        'error',
        // Names that assert: vitest's expect, helpers named assert* or expect*, and fast-check's
        // fc.assert (it throws the property's failure). Nothing else counts as an assertion.
        { assertFunctionNames: ['expect', 'expect*', 'assert*', 'fc.assert'] },
      ],
      'vitest/no-focused-tests': 'error',
      'vitest/no-disabled-tests': 'error',
    },
  },
  // Randomized reliability tests replay from a printed seed: no unseeded randomness.
  {
    files: [
      'test/property/**',
      'test/reliability/**',
      'test/adapters/sqlite-crash*',
      'test/adapters/fixtures/sqlite-crash*',
      'test/server/postgres-feed-load.test.ts',
    ],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message:
            'Use seededRandom(SEED) from tidesync/testing with a seed the test prints and takes from the environment, so a red run replays.',
        },
      ],
    },
  },
);
