// One tidesync server process for the live benchmark: prints `{"port":N}` once it listens, and
// answers `mem` on stdin with its heap and RSS after a full GC (run with --expose-gc).
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createSyncServer, postgresServerStore, sqliteServerStore } from 'tidesync/server';
import type { ServerStore } from 'tidesync/server';
import { liveCollections } from './live-collections.js';
import { listen } from './tidesync-server.js';

function store(): ServerStore {
  const pgUrl = process.env['LIVE_PG_URL'];
  if (pgUrl) {
    const pool = new pg.Pool({ connectionString: pgUrl, max: 8 });
    return postgresServerStore(pool, { schema: process.env['LIVE_PG_SCHEMA'] ?? 'public' });
  }
  const db = new Database(process.env['LIVE_DB'] ?? ':memory:');
  db.pragma('journal_mode = WAL');
  return sqliteServerStore(db);
}

const server = createSyncServer({
  collections: liveCollections,
  store: store(),
  // The bench's users: the bearer token is the user id.
  authorize: (request) => {
    const userId = request.headers.get('authorization')?.replace(/^Bearer /, '');
    return userId ? { userId } : null;
  },
  onError: (error) => process.stderr.write(`[live-server] ${error.stack ?? error.message}\n`),
});
const http = createServer(server.nodeHandler);
http.maxConnections = 100_000;
const port = await listen(http);
process.stdout.write(`${JSON.stringify({ port })}\n`);

const gc = (globalThis as { gc?: () => void }).gc;
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'mem') {
    for (let i = 0; i < 3; i++) gc?.();
    const { heapUsed, rss } = process.memoryUsage();
    process.stdout.write(`${JSON.stringify({ heapUsed, rss })}\n`);
  } else if (line.trim() === 'exit') {
    server.closeLive();
    http.closeAllConnections();
    process.exit(0);
  }
}
