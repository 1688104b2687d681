/**
 * The field app's sync server: tidesync's server on a SQLite file, mounted at /sync on plain
 * Node http. `node --import tsx examples/node-cli-field-app/server.ts --port 8787 --db office.db`
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createSyncServer, sqliteServerStore } from 'tidesync/server';
import { collections } from './collections.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    db: { type: 'string', default: 'field-office.db' },
  },
});

const db = new Database(values.db);
db.pragma('journal_mode = WAL');
const sync = createSyncServer({
  collections,
  store: sqliteServerStore(db),
  // A real app verifies a token here; the example has one technician account.
  authorize: (request) =>
    request.headers.get('authorization') === 'Bearer tech-1' ? { userId: 'tech-1' } : null,
});
const server = createServer((req, res) => {
  if (req.url?.startsWith('/sync/')) return sync.nodeHandler(req, res);
  res.statusCode = 404;
  res.end('not found');
});
server.listen(Number(values.port), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`field office sync server on http://127.0.0.1:${port}/sync`);
});
const stop = () => server.close(() => db.close());
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
