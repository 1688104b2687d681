/** Runs an example script as a child process (node --import tsx), the way a developer would. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Root of the repository. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What a finished child process left behind. */
export interface ExampleRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node --import tsx <script> ...args` in the repository root and resolves when it exits
 * (never rejects on a non-zero exit: the test asserts the code).
 */
export function runExample(
  script: string,
  args: readonly string[] = [],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ExampleRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      {
        cwd: REPO_ROOT,
        timeout: options.timeoutMs ?? 60_000,
        env: { ...process.env, ...options.env },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
