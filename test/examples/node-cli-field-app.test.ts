import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningExample } from './run-example.js';
import { runExample, startExample } from './run-example.js';

const APP = 'examples/node-cli-field-app/main.ts';
const SERVER = 'examples/node-cli-field-app/server.ts';

describe('examples/node-cli-field-app', () => {
  let dir: string;
  let server: RunningExample | undefined;
  const cli = async (db: string, ...args: string[]) => {
    const run = await runExample(APP, [...args, '--db', join(dir, db)]);
    return { ...run, lines: run.stdout.trim().split('\n') };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tidesync-field-app-'));
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps jobs and unsent changes in its SQLite file across restarts, and syncs them later', async () => {
    expect((await cli('van.db', 'add', 'ACME Ltd', 'Replace pump filter')).code).toBe(0);
    expect((await cli('van.db', 'add', 'Bolt & Co', 'Inspect boiler')).code).toBe(0);

    // A fresh process reads what the previous ones wrote.
    const listed = await cli('van.db', 'list');
    expect(listed.code).toBe(0);
    expect(listed.lines).toEqual([
      expect.stringMatching(/^\S{8} \[open\] ACME Ltd - Replace pump filter \(pending\)$/),
      expect.stringMatching(/^\S{8} \[open\] Bolt & Co - Inspect boiler \(pending\)$/),
    ]);

    // No signal: sync fails, nothing is lost.
    const offline = await cli('van.db', 'sync', '--url', 'http://127.0.0.1:9/sync');
    expect(offline.code).toBe(2);
    expect(offline.stderr).toMatch(/changes are saved and will sync later/);
    expect((await cli('van.db', 'status')).stdout).toMatch(/pending changes: 2, conflicts: 0/);

    server = await startExample(SERVER, ['--port', '0', '--db', join(dir, 'office.db')]);
    const synced = await cli('van.db', 'sync', '--url', server.url);
    expect(synced.stdout).toMatch(/synced: pushed 2, pulled 0, pending 0/);
    expect((await cli('van.db', 'list')).lines.every((l) => l.endsWith('(synced)'))).toBe(true);
  });

  it('a second device pulls the jobs, closes one out, and the first device sees it', async () => {
    if (!server) throw new Error('the previous test starts the server');
    expect((await cli('tablet.db', 'sync', '--url', server.url)).stdout).toMatch(/pulled 2/);
    const onTablet = await cli('tablet.db', 'list');
    const acme = onTablet.lines.find((l) => l.includes('ACME Ltd'));
    expect(acme).toMatch(/\(synced\)$/);
    const id = acme!.slice(0, 8);

    expect((await cli('tablet.db', 'done', id, '--note', 'Filter replaced')).code).toBe(0);
    expect((await cli('tablet.db', 'sync', '--url', server.url)).stdout).toMatch(/pushed 1/);
    expect((await cli('van.db', 'sync', '--url', server.url)).stdout).toMatch(/pulled 1/);
    expect((await cli('van.db', 'list')).lines).toContain(
      `${id} [done] ACME Ltd - Replace pump filter - Filter replaced (synced)`,
    );
  });

  it('the server keeps everything across its own restart', async () => {
    await server?.stop();
    server = await startExample(SERVER, ['--port', '0', '--db', join(dir, 'office.db')]);
    expect((await cli('new-phone.db', 'sync', '--url', server.url)).stdout).toMatch(/pulled 2/);
    expect((await cli('new-phone.db', 'list')).lines).toEqual([
      expect.stringMatching(
        /\[done\] ACME Ltd - Replace pump filter - Filter replaced \(synced\)$/,
      ),
      expect.stringMatching(/\[open\] Bolt & Co - Inspect boiler \(synced\)$/),
    ]);
  });
});
