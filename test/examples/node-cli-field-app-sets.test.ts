// The field app's site visits are a `sync: 'sets'` collection: each device pulls only the
// regions it asked for (`sync --region`), and what it logs elsewhere still reaches the server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningExample } from './run-example.js';
import { runExample, startExample } from './run-example.js';

const APP = 'examples/node-cli-field-app/main.ts';
const SERVER = 'examples/node-cli-field-app/server.ts';

describe('examples/node-cli-field-app: site visits by region (sync sets)', () => {
  let dir: string;
  let server: RunningExample | undefined;
  const cli = async (db: string, ...args: string[]) => {
    const run = await runExample(APP, [...args, '--db', join(dir, db)]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return run.stdout.trim().split('\n');
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tidesync-field-sets-'));
    server = await startExample(SERVER, ['--port', '0', '--db', join(dir, 'office.db')]);
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a device keeps the visits of its regions only; another region sees the rest', async () => {
    const url = server!.url;
    await cli('van.db', 'visit', 'north', 'Pump house', 'Checked valves');
    await cli('van.db', 'visit', 'south', 'Depot', 'Dropped off parts');
    expect(await cli('van.db', 'visits')).toEqual([
      'north Pump house: Checked valves (pending)',
      'south Depot: Dropped off parts (pending)',
    ]);
    await cli('van.db', 'sync', '--url', url, '--region', 'north');
    // The south visit reached the server; no set of this van covers it, so it left the van.
    expect(await cli('van.db', 'visits')).toEqual(['north Pump house: Checked valves (synced)']);

    await cli('tablet.db', 'sync', '--url', url, '--region', 'south');
    expect(await cli('tablet.db', 'visits')).toEqual(['south Depot: Dropped off parts (synced)']);
    // The set is kept in the data file: a later sync without --region still pulls the region.
    await cli('van.db', 'visit', 'south', 'Depot', 'Second drop');
    await cli('van.db', 'sync', '--url', url);
    await cli('tablet.db', 'sync', '--url', url);
    expect(await cli('tablet.db', 'visits')).toEqual([
      'south Depot: Dropped off parts (synced)',
      'south Depot: Second drop (synced)',
    ]);
  });
});
