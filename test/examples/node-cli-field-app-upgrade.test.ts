// The field app's version-2 `jobs` (priority added): a version-1 data file with unsent jobs is
// upgraded when the version-2 app opens it, and the jobs sync to the version-2 server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSyncClient, defineCollection, fieldMerge } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { collections } from '../../examples/node-cli-field-app/collections.js';
import type { RunningExample } from './run-example.js';
import { runExample, startExample } from './run-example.js';

const APP = 'examples/node-cli-field-app/main.ts';
const SERVER = 'examples/node-cli-field-app/server.ts';

/** `jobs` as version 1 of the app shipped it. */
const jobsV1 = defineCollection({
  name: 'jobs',
  schema: z.object({
    customer: z.string().min(1),
    task: z.string().min(1),
    status: z.enum(['open', 'done']),
    note: z.string(),
  }),
  conflict: fieldMerge(),
});

const openDb = (file: string, defs: Parameters<typeof createSyncClient>[0]['collections']) =>
  createSyncClient({
    collections: defs,
    storage: sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) }),
    triggers: [],
  });

describe('examples/node-cli-field-app: upgrade from version 1', () => {
  let dir: string;
  let server: RunningExample | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tidesync-field-upgrade-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates a version-1 database and its queue at open, and syncs the jobs as version 2', async () => {
    const file = join(dir, 'old-van.db');
    const old = await openDb(file, [jobsV1]);
    const job = await old.collection('jobs').insert({
      customer: 'ACME Ltd',
      task: 'Replace pump filter',
      status: 'open',
      note: '',
    });
    await old
      .collection('jobs')
      .insert({ customer: 'Bolt & Co', task: 'Inspect boiler', status: 'open', note: '' });
    await old.collection('jobs').update(job.id, { note: 'bring a ladder' });
    expect(old.status.pendingOps).toBe(2);
    await old.close();

    // The version-2 app opens the old file: the jobs and the two unsent inserts are still there.
    expect((await runExample(APP, ['status', '--db', file])).stdout).toMatch(
      /pending changes: 2, conflicts: 0/,
    );
    server = await startExample(SERVER, ['--port', '0', '--db', join(dir, 'office.db')]);
    const synced = await runExample(APP, ['sync', '--url', server.url, '--db', file]);
    expect(synced.stdout).toMatch(/synced: pushed 2, pulled 0, pending 0/);

    const upgraded = await openDb(file, collections);
    const rows = await upgraded.collection('jobs').find({ orderBy: [['customer', 'asc']] });
    expect(rows.map((r) => [r.customer, r.note, r.priority, r.syncStatus])).toEqual([
      ['ACME Ltd', 'bring a ladder', 'normal', 'synced'],
      ['Bolt & Co', '', 'normal', 'synced'],
    ]);
    await upgraded.close();

    // Another version-2 device receives them with the new field.
    const tablet = join(dir, 'tablet.db');
    expect((await runExample(APP, ['sync', '--url', server.url, '--db', tablet])).stdout).toMatch(
      /pulled 2/,
    );
    const other = await openDb(tablet, collections);
    expect((await other.collection('jobs').find()).map((r) => r.priority)).toEqual([
      'normal',
      'normal',
    ]);
    await other.close();
  });
});
