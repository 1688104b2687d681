import type { PendingOutcome, PendingRecord } from './transaction-cache.js';
import { RECORD_COLUMNS, pendingValues } from './sql-rows.js';

/** Array types of the record columns, for multi-row writes through `unnest`. */
const RECORD_TYPES: Readonly<Record<string, string>> = {
  collection: 'text[]',
  id: 'text[]',
  owner_id: 'text[]',
  version: 'bigint[]',
  data: 'jsonb[]',
  hlc: 'text[]',
  field_clocks: 'jsonb[]',
  deleted: 'boolean[]',
  updated_at: 'bigint[]',
  origin_client_id: 'text[]',
  origin_id: 'text[]',
  former: 'jsonb[]',
  writer_client_id: 'text[]',
  writer_seq: 'bigint[]',
};

/** What one write transaction holds to write at commit. */
export interface BatchWrite {
  readonly lastSeqs: ReadonlyMap<string, number>;
  readonly outcomes: readonly PendingOutcome[];
  readonly records: readonly PendingRecord[];
}

/**
 * One statement (data-modifying CTEs) that writes a transaction's held writes: clients'
 * `lastSeq`, outcomes, and records (updates of rows the transaction read and locked, plain
 * inserts of the others, so a concurrent creator of the same id fails it with 23505), with feed
 * positions taken from the meta row. It returns `written`, the number of records written.
 * `undefined` when there is nothing to write. `t` is the quoted table prefix.
 */
export function batchWriteStatement(
  t: string,
  batch: BatchWrite,
): { text: string; values: unknown[] } | undefined {
  const values: unknown[] = [];
  const param = (value: unknown, type: string): string => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  const steps: string[] = [];
  if (batch.lastSeqs.size > 0) {
    const ids = param([...batch.lastSeqs.keys()], 'text[]');
    const seqs = param([...batch.lastSeqs.values()], 'bigint[]');
    steps.push(`s AS (UPDATE ${t}clients c SET last_seq = q.l
      FROM unnest(${ids}, ${seqs}) AS q(i, l) WHERE c.client_id = q.i)`);
  }
  const { outcomes, records } = batch;
  if (outcomes.length > 0) {
    const columns = (
      [
        ['clientId', 'text[]'],
        ['opId', 'text[]'],
        ['seq', 'bigint[]'],
        ['result', 'jsonb[]'],
      ] as const
    ).map(([field, type]) =>
      param(
        outcomes.map((o) => o[field]),
        type,
      ),
    );
    steps.push(`o AS (INSERT INTO ${t}outcomes (client_id, op_id, seq, result)
      SELECT * FROM unnest(${columns.join(', ')})
      ON CONFLICT (client_id, op_id) DO UPDATE SET seq = EXCLUDED.seq, result = EXCLUDED.result)`);
  }
  if (records.length > 0) {
    const rows = records.map((entry) => pendingValues(entry, false));
    const names = RECORD_COLUMNS.split(', ');
    const arrays = names.map((name, c) =>
      param(
        rows.map((row) => row[c]),
        RECORD_TYPES[name]!,
      ),
    );
    const order = param(
      records.map((_, n) => n + 1),
      'bigint[]',
    );
    const stored = param(
      records.map((entry) => entry.stored),
      'boolean[]',
    );
    const count = param(records.length, 'bigint');
    const assignments = names
      .slice(2)
      .map((name) => `${name} = v.${name}`)
      .join(', ');
    // The meta row lock (held until COMMIT) hands out positions in commit order.
    steps.push(
      `h AS (UPDATE ${t}meta SET head = head + ${count} WHERE id = 1 RETURNING head - ${count} AS base)`,
      `v AS (SELECT * FROM unnest(${arrays.join(', ')}, ${order}, ${stored})
        AS v(${RECORD_COLUMNS}, n, stored))`,
      `u AS (UPDATE ${t}records r SET ${assignments}, position = h.base + v.n FROM v, h
        WHERE v.stored AND r.collection = v.collection AND r.id = v.id RETURNING 1)`,
      `i AS (INSERT INTO ${t}records (${RECORD_COLUMNS}, position)
        SELECT ${names.map((name) => `v.${name}`).join(', ')}, h.base + v.n
        FROM v, h WHERE NOT v.stored RETURNING 1)`,
    );
  }
  if (steps.length === 0) return undefined;
  const written = records.length > 0 ? '(SELECT count(*) FROM u) + (SELECT count(*) FROM i)' : '0';
  return { text: `WITH ${steps.join(',\n')} SELECT ${written} AS written`, values };
}
