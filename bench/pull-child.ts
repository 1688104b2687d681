// Child process entry of W3: a fresh replica pulls everything from a server and reports time
// and peak RSS as one JSON line on stdout. Run with tsx; see pull-in-child.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSyncClient, httpTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { pouchPull, rxdbPull } from './peer-replicas.js';
import { todosCollection } from './workload.js';

/** What the child reports. */
export interface PullChildResult {
  readonly ms: number;
  readonly count: number;
  readonly rssBeforeMb: number;
  readonly peakRssMb: number;
}

const [kind, url] = process.argv.slice(2);

async function tidesyncPull(adapter: 'memory' | 'sqlite', dir: string): Promise<[number, number]> {
  const storage =
    adapter === 'memory'
      ? memoryAdapter()
      : sqliteAdapter({ driver: betterSqlite3Driver(new Database(join(dir, 'pull.db'))) });
  const client = await createSyncClient({
    collections: [todosCollection()],
    storage,
    transport: httpTransport({ url: url! }),
    triggers: [],
  });
  const start = performance.now();
  const result = await client.sync();
  const ms = performance.now() - start;
  await client.close();
  return [ms, result.pulled];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tidesync-bench-pull-'));
  const rssBeforeMb = process.memoryUsage().rss / 1e6;
  try {
    let out: [number, number];
    if (kind === 'tidesync-memory') out = await tidesyncPull('memory', dir);
    else if (kind === 'tidesync-sqlite') out = await tidesyncPull('sqlite', dir);
    else if (kind === 'rxdb') out = await rxdbPull(url!);
    else if (kind === 'pouchdb') out = await pouchPull(url!);
    else throw new Error(`unknown replica kind ${kind}`);
    const result: PullChildResult = {
      ms: out[0],
      count: out[1],
      rssBeforeMb,
      peakRssMb: (process.resourceUsage().maxRSS * 1024) / 1e6,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
