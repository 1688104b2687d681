import pg from 'pg';
import { postgresServerStore } from 'tidesync/server';
import type { ServerStoreFixture } from '../../src/testing/conformance/server-store.js';

/** The Postgres URL for tests; undefined outside CI when unset. Throws in CI when unset. */
export function postgresUrl(): string | undefined {
  const url = process.env['TIDESYNC_PG_URL'];
  if (!url && process.env['CI'] === 'true') {
    throw new Error('TIDESYNC_PG_URL must be set in CI: run `bash scripts/start-postgres.sh`.');
  }
  if (!url) {
    console.warn(
      'Skipping Postgres server tests: set TIDESYNC_PG_URL=$(bash scripts/start-postgres.sh).',
    );
  }
  return url;
}

let counter = 0;

/** A unique schema name per test, so runs and tests never collide. */
export function uniqueSchema(): string {
  counter += 1;
  return `ts_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

/** A fresh Postgres store in its own schema, with its own pool; cleanup drops the schema. */
export async function createPostgresFixture(url: string): Promise<ServerStoreFixture> {
  const schema = uniqueSchema();
  const pools = [new pg.Pool({ connectionString: url, max: 6 })];
  return {
    store: postgresServerStore(pools[0]!, { schema }),
    reopen: async () => {
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      pools.push(pool);
      return postgresServerStore(pool, { schema });
    },
    cleanup: async () => {
      await pools[0]!.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(pools.map((pool) => pool.end()));
    },
  };
}
