/**
 * The web-todo example server: tidesync's sync server at `/sync` (SQLite store) plus the
 * built app's static files, on plain Node http.
 *
 *   node --import tsx examples/web-todo/server.ts [--port 5173] [--db web-todo.db]
 *
 * builds the app and serves it at http://127.0.0.1:5173/.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { SyncServer } from 'tidesync/server';
import { createSyncServer, sqliteServerStore } from 'tidesync/server';
import { buildWebTodo } from './build.js';
import { todos } from './src/collections.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** Options of {@link startWebTodoServer}. */
export interface WebTodoServerOptions {
  /** Directory of the built app (from `buildWebTodo()`). */
  readonly staticDir: string;
  /** SQLite file of the sync server's store. */
  readonly dbPath: string;
  /** @default 0 (a free port) */
  readonly port?: number;
}

/** A running example server. */
export interface WebTodoServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The sync server, for tests that want to look at it in-process. */
  readonly sync: SyncServer;
  close(): Promise<void>;
}

/** Starts the sync server and the static files on 127.0.0.1. */
export async function startWebTodoServer(options: WebTodoServerOptions): Promise<WebTodoServer> {
  const db = new Database(options.dbPath);
  db.pragma('journal_mode = WAL');
  const sync = createSyncServer({
    collections: [todos],
    store: sqliteServerStore(db),
    // The example has one shared account; a real app verifies a session or token here.
    authorize: () => ({ userId: 'demo' }),
  });
  const root = resolve(options.staticDir);
  const http = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path.startsWith('/sync/')) return sync.nodeHandler(req, res);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root)) {
      res.statusCode = 403;
      res.end();
      return;
    }
    readFile(file).then(
      (body) => {
        res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
        res.setHeader('cache-control', 'no-cache');
        res.end(body);
      },
      () => {
        res.statusCode = path === '/favicon.ico' ? 204 : 404;
        res.end();
      },
    );
  });
  await new Promise<void>((ready) => http.listen(options.port ?? 0, '127.0.0.1', ready));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sync,
    close: () =>
      new Promise<void>((done) => {
        // Live streams stay open until ended: end them, or close() would wait for them.
        sync.closeLive();
        http.closeAllConnections();
        http.close(() => {
          db.close();
          done();
        });
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '5173' },
      db: { type: 'string', default: 'web-todo.db' },
    },
  });
  const staticDir = await buildWebTodo();
  const server = await startWebTodoServer({
    staticDir,
    dbPath: values.db,
    port: Number(values.port),
  });
  console.log(`web-todo: open ${server.url}/ (sync server at ${server.url}/sync)`);
  const stop = () => void server.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
