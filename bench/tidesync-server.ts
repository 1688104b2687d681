import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { CollectionDefinition } from 'tidesync';
import { createSyncServer, postgresServerStore, sqliteServerStore } from 'tidesync/server';

/** Server stores the benchmarks run against. */
export type StoreKind = 'sqlite' | 'postgres';

/** A tidesync server listening on 127.0.0.1. */
export interface BenchServer {
  readonly url: string;
  /** Live records the store holds. */
  count(): Promise<number>;
  close(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1 and resolves with the port. */
export function listen(server: Server): Promise<number> {
  // Idle keep-alive sockets stay open longer than a benchmark phase that keeps the event loop
  // busy (Node's 5 s default races the client's reuse of the socket: ECONNRESET).
  server.keepAliveTimeout = 120_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Closes an HTTP server, dropping idle keep-alive connections. */
export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

let counter = 0;

/**
 * Starts a tidesync server over HTTP on a fresh store: a SQLite file in `dir` (WAL) or a new
 * schema in the Postgres database at `pgUrl` (dropped on close).
 */
export async function startTidesyncServer(
  kind: StoreKind,
  collections: readonly CollectionDefinition[],
  dir: string,
  pgUrl?: string,
): Promise<BenchServer> {
  counter += 1;
  let count: () => Promise<number>;
  let cleanup: () => Promise<void>;
  let store;
  if (kind === 'sqlite') {
    const db = new Database(join(dir, `server${counter}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    store = sqliteServerStore(db);
    count = async () =>
      (
        db.prepare('SELECT count(*) AS n FROM tidesync_records WHERE deleted = 0').get() as {
          n: number;
        }
      ).n;
    cleanup = async () => void db.close();
  } else {
    if (!pgUrl) throw new Error('Postgres store needs TIDESYNC_PG_URL');
    const schema = `bench_${process.pid}_${counter}`;
    const pool = new pg.Pool({ connectionString: pgUrl, max: 4 });
    store = postgresServerStore(pool, { schema });
    count = async () =>
      Number(
        (
          await pool.query(
            `SELECT count(*) AS n FROM "${schema}".tidesync_records WHERE NOT deleted`,
          )
        ).rows[0].n,
      );
    cleanup = async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    };
  }
  const sync = createSyncServer({ collections, store, authorize: () => ({ userId: 'bench' }) });
  const http = createServer(sync.nodeHandler);
  const port = await listen(http);
  return {
    url: `http://127.0.0.1:${port}/sync`,
    count,
    close: async () => {
      await closeServer(http);
      await cleanup();
    },
  };
}
