// The layout is enforced by lint (eslint.config.js), not by memory: each case lints a small
// source text as if it were a file of that folder, with the repository's own config, and
// checks that a boundary-crossing import fails while an allowed one passes.
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Boundary rules need no type information: lint without it, so a made-up path is fine.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    files: ['src/**'],
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
    },
  },
});

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${filePath}` });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

const CASES: readonly (readonly [string, string, string, boolean])[] = [
  // [folder file, import, what, fails]
  ['src/client/local/x.ts', "import { pushOutbox } from '../sync/push.js';", 'local -> sync', true],
  [
    'src/client/local/x.ts',
    "import { RemoteFetcher } from '../cache/remote-fetch.js';",
    'local -> cache',
    true,
  ],
  [
    'src/client/local/x.ts',
    "import { startRuntime } from '../runtime/client-runtime.js';",
    'local -> runtime',
    true,
  ],
  [
    'src/client/local/x.ts',
    "import { ChangeSet } from './change-set.js';",
    'local -> local',
    false,
  ],
  [
    'src/client/sync/x.ts',
    "import { StorageMaintenance } from '../cache/storage-maintenance.js';",
    'sync -> cache',
    true,
  ],
  [
    'src/client/sync/x.ts',
    "import { startRuntime } from '../runtime/client-runtime.js';",
    'sync -> runtime',
    true,
  ],
  [
    'src/client/sync/x.ts',
    "import { WriteContext } from '../local/write-context.js';",
    'sync -> local',
    false,
  ],
  [
    'src/client/cache/x.ts',
    "import { liveTrigger } from '../runtime/triggers/index.js';",
    'cache -> runtime',
    true,
  ],
  [
    'src/client/local/x.ts',
    "import type { Transport } from '../../core/index.js';",
    'client file -> transport port',
    true,
  ],
  [
    'src/client/sync/server-api.ts',
    "import type { Transport } from '../../core/index.js';",
    'server port -> transport port',
    false,
  ],
  [
    'src/client/sync/x.ts',
    "import { httpTransport } from '../../transport/index.js';",
    'client -> transport',
    true,
  ],
  [
    'src/outbox/x.ts',
    "import { lastWriteWins } from '../conflict/index.js';",
    'outbox -> conflict',
    true,
  ],
  [
    'src/outbox/x.ts',
    "import { SyncClient } from '../client/sync-client.js';",
    'outbox -> client',
    true,
  ],
  ['src/outbox/x.ts', "import { createId } from '../core/index.js';", 'outbox -> core', false],
  ['src/conflict/x.ts', "import { Outbox } from '../outbox/index.js';", 'conflict -> outbox', true],
  [
    'src/react/x.ts',
    "import type { SyncClient } from '../client/sync-client.js';",
    'react -> client internals',
    true,
  ],
  ['src/react/x.ts', "import type { Query } from '../core/index.js';", 'react -> core', true],
  [
    'src/react/x.ts',
    "import type { SyncClient } from '../index.js';",
    'react -> public entry',
    false,
  ],
];

describe('lint boundaries', () => {
  it.each(CASES)('%s: %s (%s)', async (file, code, _what, fails) => {
    const messages = await restricted(file, `${code}\nexport {};\n`);
    expect(messages).toHaveLength(fails ? 1 : 0);
  });

  it('flags a floating promise in src (type-aware rules on)', async () => {
    const typed = new ESLint({ cwd: root });
    const code =
      'async function work(): Promise<void> {}\nexport function go(): void {\n  work();\n}\n';
    // An existing file's path, so the project service knows it; the text is what is linted.
    const [result] = await typed.lintText(code, {
      filePath: `${root}/src/client/local/change-set.ts`,
    });
    expect(result?.messages.map((m) => m.ruleId)).toContain(
      '@typescript-eslint/no-floating-promises',
    );
  }, 120_000);
});
