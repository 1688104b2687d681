import vitest from '@vitest/eslint-plugin';
import tseslint from 'typescript-eslint';

const platform = ['better-sqlite3', 'pg', 'node:*', 'fs', 'path', 'http', 'crypto', 'react'];
const restrict = (patterns, extra = []) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          group: patterns,
          message: 'This import crosses a folder boundary (docs/architecture.md).',
        },
        ...extra,
      ],
    },
  ],
});
const FOLDERS = [
  'core',
  'conflict',
  'outbox',
  'client',
  'adapters',
  'transport',
  'server',
  'testing',
  'react',
];
/** Every sibling folder of src/ except `allowed`. */
const except = (...allowed) => FOLDERS.filter((f) => !allowed.includes(f)).map((f) => `**/${f}/**`);
const CLIENT_FORBIDDEN = [
  '**/adapters/**',
  '**/transport/**',
  '**/server/**',
  '**/testing/**',
  '**/react/**',
];
/** The client's rule: its base boundaries, `more`, and the transport port for the server port only. */
const clientRule = (more) =>
  restrict(
    [...platform, ...CLIENT_FORBIDDEN, ...more],
    [
      {
        group: ['**/core/index.js'],
        importNames: ['Transport', 'TransportSendOptions', 'RequestKind'],
        message: 'Only the server port (src/client/sync/server-api.ts) talks to the transport.',
      },
    ],
  );

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
  // Boundaries (DESIGN.md section 1, docs/architecture.md): imports point one way, the core stays
  // platform-free, and each folder of src/client imports only the flows below it.
  // Of zod, the core imports only zod/mini (issue 17: an app's client bundle carries no classic zod).
  {
    files: ['src/core/**'],
    rules: restrict(
      [...platform, '../*'],
      [{ regex: '^zod(?!/mini$)(/.*)?$', message: 'The core uses zod/mini only (issue 17).' }],
    ),
  },
  // The outbox imports only the core; conflict strategies import only the core (never each other).
  {
    files: ['src/outbox/**'],
    rules: restrict([...platform, ...except('core')]),
  },
  {
    files: ['src/conflict/**'],
    rules: restrict([...platform, ...except('core', 'conflict')]),
  },
  { files: ['src/client/**'], rules: clientRule([]) },
  // local: writes and queries; it never imports the sync, cache or runtime flows.
  {
    files: ['src/client/local/**'],
    rules: clientRule(['**/sync/**', '**/cache/**', '**/runtime/**']),
  },
  // sync: the runs; it never imports the cache or runtime flows.
  { files: ['src/client/sync/**'], rules: clientRule(['**/cache/**', '**/runtime/**']) },
  { files: ['src/client/cache/**'], rules: clientRule(['**/runtime/**']) },
  // The one port to the server is the only client file that uses the transport (options.ts
  // only declares the option).
  {
    files: ['src/client/sync/server-api.ts', 'src/client/options.ts'],
    rules: restrict([...platform, ...CLIENT_FORBIDDEN]),
  },
  {
    files: ['src/adapters/**', 'src/transport/**'],
    rules: restrict([
      '**/client/**',
      '**/server/**',
      '**/testing/**',
      '**/outbox/**',
      '**/conflict/**',
      '**/react/**',
    ]),
  },
  {
    files: ['src/server/**'],
    rules: restrict([
      '**/client/**',
      '**/adapters/**',
      '**/transport/**',
      '**/testing/**',
      '**/outbox/**',
      '**/react/**',
    ]),
  },
  // react imports only the public entry (types), never the client's or the core's internals.
  {
    files: ['src/react/**'],
    rules: restrict([...except('react'), '../client/**']),
  },
  // Promises: none left floating, none passed where a void callback is expected. `void p` marks
  // a fire-and-forget call (with a comment saying why).
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
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
