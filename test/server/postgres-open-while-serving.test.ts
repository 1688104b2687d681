// A server instance that starts (opens its store) while another instance is serving must not
// take table locks when the layout is already there. The layout DDL (`ALTER TABLE ... ADD
// COLUMN IF NOT EXISTS`, `CREATE INDEX IF NOT EXISTS`) locks the table before it finds there is
// nothing to do, so it waited behind every in-flight push, blocked every later read behind it,
// and deadlocked with a push holding one table while waiting for another (seen in the soak:
// "deadlock detected" while four instances opened under load).
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresServerStore } from 'tidesync/server';
import { postgresUrl, uniqueSchema } from './postgres-fixture.js';

const url = postgresUrl();

describe.runIf(url !== undefined)('postgres: opening a store while another instance serves', () => {
  const schema = uniqueSchema();
  const pools: pg.Pool[] = [];
  const pool = () => {
    const created = new pg.Pool({ connectionString: url, max: 2 });
    pools.push(created);
    return created;
  };

  afterAll(async () => {
    await pools[0]?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await Promise.all(pools.map((p) => p.end()));
  });

  /** Lock waits on this schema's relations, other than by `exceptPid`. */
  async function waitsOnSchema(observer: pg.Pool): Promise<number> {
    const { rows } = await observer.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
         JOIN pg_namespace s ON s.oid = c.relnamespace
       WHERE NOT l.granted AND s.nspname = $1`,
      [schema],
    );
    return Number(rows[0]!.n);
  }

  it('opens without waiting behind a transaction that holds its tables, as a push does', async () => {
    const first = postgresServerStore(pool(), { schema });
    await first.open();

    // An in-flight push: row-exclusive locks on every table a push writes.
    const holder = await pool().connect();
    const observer = pool();
    try {
      await holder.query('BEGIN');
      for (const table of ['meta', 'records', 'clients', 'outcomes', 'set_index']) {
        await holder.query(`LOCK TABLE "${schema}".tidesync_${table} IN ROW EXCLUSIVE MODE`);
      }

      const second = postgresServerStore(pool(), { schema });
      let opened = false;
      const opening = second
        .read((reader) => reader.getClient('nobody'))
        .then(() => {
          opened = true;
        });
      // Either the open completes, or it shows up as a lock wait on one of the schema's tables.
      let waits = 0;
      while (!opened && waits === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        waits = await waitsOnSchema(observer);
      }
      expect({ opened, waits }).toEqual({ opened: true, waits: 0 });
      await holder.query('COMMIT');
      await opening;
      await second.close();
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      await first.close();
    }
  });
});
