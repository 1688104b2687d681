// The Postgres store's layout: its DDL in order, and a lock-free check of whether it is all
// there. The DDL takes table locks even when it has nothing to create (`ALTER TABLE ... ADD
// COLUMN IF NOT EXISTS` takes an exclusive lock, `CREATE INDEX IF NOT EXISTS` a share lock,
// before either looks), so an instance starting while others serve would queue behind every
// in-flight push, hold up every read behind it, and could deadlock with a push that holds one
// table and waits for another. An open therefore reads the catalog first (which locks no
// table) and runs the DDL only when something is missing.
import type { PostgresPoolClient } from './postgres-transaction.js';
import { setIndexLayout } from './sets/sql-set-index.js';

/** The layout's statements in order; `t` is the quoted table prefix (`"schema".tidesync_`). */
export function postgresLayout(t: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${t}meta (id int PRIMARY KEY CHECK (id = 1), epoch text NOT NULL, head bigint NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${t}records (
      collection text NOT NULL, id text NOT NULL, owner_id text NOT NULL, version bigint NOT NULL,
      data jsonb NOT NULL, hlc text NOT NULL, field_clocks jsonb NOT NULL, deleted boolean NOT NULL,
      updated_at bigint NOT NULL, origin_client_id text, origin_id text, position bigint,
      former jsonb, writer_client_id text, writer_seq bigint, PRIMARY KEY (collection, id))`,
    // Former states of scoped records (scope exits): added in place to an older store.
    `ALTER TABLE ${t}records ADD COLUMN IF NOT EXISTS former jsonb`,
    // Who wrote each state (a pull leaves out a client's own echoes): added in place to an
    // older store; rows written before keep \`NULL\`, so their echoes are sent as before.
    `ALTER TABLE ${t}records ADD COLUMN IF NOT EXISTS writer_client_id text`,
    `ALTER TABLE ${t}records ADD COLUMN IF NOT EXISTS writer_seq bigint`,
    `CREATE INDEX IF NOT EXISTS tidesync_records_position ON ${t}records (position)`,
    `CREATE INDEX IF NOT EXISTS tidesync_records_origin ON ${t}records (collection, origin_client_id, origin_id)`,
    // Pulls read one index range per owner and per scoped collection. Added in place to a
    // store made by an older version (CREATE INDEX on first open after the upgrade).
    `CREATE INDEX IF NOT EXISTS tidesync_records_owner_position ON ${t}records (owner_id, position)`,
    `CREATE INDEX IF NOT EXISTS tidesync_records_collection_position ON ${t}records (collection, position)`,
    // Feed pulls read one range per (owner, collection) they cover, so rows of `sync: 'sets'`
    // collections are never scanned (docs/server.md). Added in place to an older store.
    `CREATE INDEX IF NOT EXISTS tidesync_records_owner_collection_position ON ${t}records (owner_id, collection, position)`,
    `CREATE TABLE IF NOT EXISTS ${t}clients (client_id text PRIMARY KEY, user_id text NOT NULL, last_seq bigint NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${t}outcomes (client_id text NOT NULL, op_id text NOT NULL, seq bigint NOT NULL, result jsonb NOT NULL, PRIMARY KEY (client_id, op_id))`,
    // Sync sets (docs/sync-sets.md): added in place to an older store.
    ...setIndexLayout(t, 'tidesync_set_index_range'),
  ];
}

/** What {@link postgresLayout} creates: relation names, and columns added to a table. */
export function layoutObjects(statements: readonly string[]): {
  relations: string[];
  columns: { table: string; column: string }[];
} {
  const relations: string[] = [];
  const columns: { table: string; column: string }[] = [];
  for (const sql of statements) {
    const created = /^CREATE (?:TABLE|INDEX) IF NOT EXISTS (?:"[^"]+"\.)?(\w+)/.exec(sql);
    if (created) relations.push(created[1]!);
    const added = /^ALTER TABLE (?:"[^"]+"\.)?(\w+) ADD COLUMN IF NOT EXISTS (\w+)/.exec(sql);
    if (added) columns.push({ table: added[1]!, column: added[2]! });
    if (!created && !added) throw new Error(`Unrecognised layout statement: ${sql.slice(0, 60)}`);
  }
  return { relations, columns };
}

/**
 * True when every relation and column of the layout exists in `schema` and the meta row is
 * there. Reads only the catalog and the meta row, so it waits for no table lock a push holds.
 */
export async function layoutComplete(
  client: Pick<PostgresPoolClient, 'query'>,
  schema: string,
  statements: readonly string[],
): Promise<boolean> {
  const { relations, columns } = layoutObjects(statements);
  const found = await client.query(
    `SELECT
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = ANY($2::text[])) AS relations,
       (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND NOT a.attisdropped
           AND (c.relname || '.' || a.attname) = ANY($3::text[])) AS columns`,
    [schema, relations, columns.map(({ table, column }) => `${table}.${column}`)],
  );
  const row = found.rows[0] as { relations: string; columns: string } | undefined;
  if (Number(row?.relations) !== relations.length || Number(row?.columns) !== columns.length) {
    return false;
  }
  const meta = await client.query(`SELECT 1 FROM "${schema}".tidesync_meta WHERE id = 1`);
  return meta.rows.length === 1;
}
