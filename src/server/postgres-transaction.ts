import type { OpResult } from '../core/index.js';
import type {
  ChangeFilter,
  ClientState,
  FeedEntry,
  PreloadRequest,
  ServerRecord,
  ServerStoreTransaction,
} from './server-store.js';
import type { ClientRow, RecordRow } from './sql-rows.js';
import { parseOutcome, rowToClient, rowToRecord } from './sql-rows.js';
import {
  TransactionCache,
  readOutcome,
  readRecord,
  readRecordByOrigin,
} from './transaction-cache.js';
import { batchWriteStatement } from './postgres-batch-write.js';
import type { FeedDialect } from './feed-ranges.js';
import {
  feedCountStatement,
  feedLastStatement,
  feedPageStatement,
  feedRanges,
} from './feed-ranges.js';

// Postgres needs the row bound on (owner, collection) ranges (see FeedDialect).
const POSTGRES: FeedDialect = { at: (n) => `$${n}`, rowBound: true };
import { PendingSetKeys } from './sets/memory-set-index.js';
import type { SetIndexQuery, SetIndexWrite } from './sets/set-index.js';
import {
  setCountStatement,
  setRangeStatement,
  setRowsToEntries,
  setWriteRows,
} from './sets/sql-set-index.js';

/** A checked-out connection, as pg's `PoolClient` provides it. */
export interface PostgresPoolClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  release(error?: Error | boolean): void;
}

/**
 * One transaction of the Postgres server store on a checked-out connection. A write transaction
 * answers reads from what it already read or wrote, and holds its writes until {@link flush}
 * writes them all in one statement.
 */
export class PostgresTransaction implements ServerStoreTransaction {
  readonly #client: PostgresPoolClient;
  readonly #t: string;
  /** What this write transaction read and holds to write; `undefined` for a reader. */
  readonly #cache: TransactionCache | undefined;
  /** ` FOR UPDATE` in write transactions: writers of one record take turns. */
  readonly #lock: string;
  #snapshotMeta: { epoch: string; head: number } | undefined;
  /** `lastSeq` per client set in this transaction, written by {@link flush}. */
  readonly #lastSeqs = new Map<string, number>();
  readonly #setKeys = new PendingSetKeys();

  constructor(client: PostgresPoolClient, tables: string, writable: boolean) {
    this.#client = client;
    this.#t = tables;
    this.#lock = writable ? ' FOR UPDATE' : '';
    this.#cache = writable ? new TransactionCache() : undefined;
  }

  async #rows<R>(sql: string, values: unknown[] = []): Promise<R[]> {
    return (await this.#client.query(sql, values)).rows as R[];
  }

  /** The meta row; a read-only transaction (one snapshot) reads it once for epoch and head. */
  async #meta(): Promise<{ epoch: string; head: number }> {
    if (this.#snapshotMeta) return this.#snapshotMeta;
    const [row] = await this.#rows<{ epoch: string; head: string }>(
      `SELECT epoch, head FROM ${this.#t}meta WHERE id = 1`,
    );
    if (!row) throw new Error('tidesync meta row missing');
    const meta = { epoch: row.epoch, head: Number(row.head) };
    if (!this.#cache) this.#snapshotMeta = meta;
    return meta;
  }

  async getEpoch(): Promise<string> {
    return (await this.#meta()).epoch;
  }

  async getHead(): Promise<number> {
    return (await this.#meta()).head;
  }

  async listChanges(after: number, limit: number, filter?: ChangeFilter): Promise<FeedEntry[]> {
    const ranges = filter ? feedRanges(filter) : [{}];
    // ARRAY(...) runs the positions subquery once, then probes the position index with them.
    const statement = feedPageStatement(
      this.#t,
      ranges,
      after,
      limit,
      POSTGRES,
      (positions) => `position = ANY(ARRAY(${positions}))`,
    );
    return statement ? this.#entries(statement.text, statement.values) : [];
  }

  async lastChange(after: number, filter: ChangeFilter): Promise<FeedEntry | undefined> {
    const { text, values } = feedLastStatement(this.#t, filter, after, POSTGRES);
    const [row] = await this.#rows<{ p: string | null }>(text, values);
    if (row?.p === null || row?.p === undefined) return undefined;
    const [entry] = await this.listChanges(Number(row.p) - 1, 1);
    return entry;
  }

  async countChanges(after: number, filter?: ChangeFilter): Promise<number> {
    const { text, values } = filter
      ? feedCountStatement(this.#t, filter, after, POSTGRES)
      : {
          text: `SELECT count(*) AS n FROM ${this.#t}records WHERE position > $1`,
          values: [after],
        };
    const [row] = await this.#rows<{ n: string }>(text, values);
    return Number(row?.n ?? 0);
  }

  async listSetChanges(query: SetIndexQuery, limit: number): Promise<FeedEntry[]> {
    const { text, values } = setRangeStatement(this.#t, query, limit, (n) => `$${n}`);
    return setRowsToEntries(await this.#rows(text, values));
  }

  async countSetChanges(query: SetIndexQuery): Promise<number> {
    const { text, values } = setCountStatement(this.#t, query, (n) => `$${n}`);
    const [row] = await this.#rows<{ n: string }>(text, values);
    return Number(row?.n ?? 0);
  }

  /** Held until commit (see {@link flush}). */
  async putSetKeys(write: SetIndexWrite): Promise<void> {
    this.#writable();
    this.#setKeys.add(write);
  }

  async #entries(sql: string, values: unknown[]): Promise<FeedEntry[]> {
    const rows = await this.#rows<RecordRow>(sql, values);
    return rows.map((row) => ({ position: Number(row.position), record: rowToRecord(row) }));
  }

  async getRecord(collection: string, id: string): Promise<ServerRecord | undefined> {
    return readRecord(this.#cache, collection, id, async () => {
      const [row] = await this.#rows<RecordRow>(
        `SELECT * FROM ${this.#t}records WHERE collection = $1 AND id = $2${this.#lock}`,
        [collection, id],
      );
      return row && rowToRecord(row);
    });
  }

  async getClient(clientId: string): Promise<ClientState | undefined> {
    const [row] = await this.#rows<ClientRow>(
      `SELECT * FROM ${this.#t}clients WHERE client_id = $1`,
      [clientId],
    );
    return row && this.#clientState(row);
  }

  async lockClient(clientId: string, userId: string): Promise<ClientState> {
    // One statement: creates the row or, when it exists, locks it (a no-op update) and returns it.
    const [row] = await this.#rows<ClientRow>(
      `INSERT INTO ${this.#t}clients AS c (client_id, user_id, last_seq) VALUES ($1, $2, 0)
       ON CONFLICT (client_id) DO UPDATE SET last_seq = c.last_seq RETURNING *`,
      [clientId, userId],
    );
    if (!row) throw new Error(`client ${clientId} vanished`);
    return this.#clientState(row);
  }

  /** Held until commit (see {@link flush}). */
  async setLastSeq(clientId: string, lastSeq: number): Promise<void> {
    this.#writable();
    this.#lastSeqs.set(clientId, lastSeq);
  }

  /** A client row with the `lastSeq` this transaction set, if any. */
  #clientState(row: ClientRow): ClientState {
    const client = rowToClient(row);
    const lastSeq = this.#lastSeqs.get(client.clientId);
    return lastSeq === undefined ? client : { ...client, lastSeq };
  }

  async preload(request: PreloadRequest): Promise<void> {
    const cache = this.#cache;
    if (!cache) return;
    const { clientId } = request;
    const opIds = [...new Set(request.opIds)].filter((op) => !cache.hasOutcome(clientId, op));
    if (opIds.length > 0) {
      const rows = await this.#rows<{ op_id: string; result: unknown }>(
        `SELECT op_id, result FROM ${this.#t}outcomes WHERE client_id = $1 AND op_id = ANY($2::text[])`,
        [clientId, opIds],
      );
      const found = new Map(rows.map((row) => [row.op_id, parseOutcome(row.result)]));
      for (const opId of opIds) cache.noteOutcome(clientId, opId, found.get(opId) ?? null);
    }
    const records = request.records.filter(([c, id]) => !cache.hasRecord(c, id));
    if (records.length > 0) {
      // Locks the rows in key order, so two batches that share records do not deadlock.
      const rows = await this.#rows<RecordRow>(
        `SELECT r.* FROM ${this.#t}records r
         JOIN unnest($1::text[], $2::text[]) AS k(c, i) ON r.collection = k.c AND r.id = k.i
         ORDER BY r.collection, r.id FOR UPDATE OF r`,
        [records.map((k) => k[0]), records.map((k) => k[1])],
      );
      cache.noteRecordsRead(records, rows.map(rowToRecord));
    }
    const origins = request.origins.filter(([c, o]) => !cache.hasOrigin(c, clientId, o));
    if (origins.length > 0) {
      const rows = await this.#rows<RecordRow>(
        `SELECT r.* FROM ${this.#t}records r
         JOIN unnest($2::text[], $3::text[]) AS k(c, o)
           ON r.collection = k.c AND r.origin_client_id = $1 AND r.origin_id = k.o
         ORDER BY r.collection, r.id FOR UPDATE OF r`,
        [clientId, origins.map((k) => k[0]), origins.map((k) => k[1])],
      );
      cache.noteOriginsRead(clientId, origins, rows.map(rowToRecord));
    }
  }

  async getOutcome(clientId: string, opId: string): Promise<OpResult | undefined> {
    return readOutcome(this.#cache, clientId, opId, async () => {
      const [row] = await this.#rows<{ result: unknown }>(
        `SELECT result FROM ${this.#t}outcomes WHERE client_id = $1 AND op_id = $2`,
        [clientId, opId],
      );
      return row && parseOutcome(row.result);
    });
  }

  async putOutcome(clientId: string, opId: string, seq: number, result: OpResult): Promise<void> {
    this.#writable().putOutcome(clientId, opId, seq, result);
  }

  async getRecordByOrigin(
    collection: string,
    originClientId: string,
    originId: string,
  ): Promise<ServerRecord | undefined> {
    return readRecordByOrigin(this.#cache, collection, originClientId, originId, async () => {
      const [row] = await this.#rows<RecordRow>(
        `SELECT * FROM ${this.#t}records WHERE collection = $1 AND origin_client_id = $2 AND origin_id = $3 LIMIT 1${this.#lock}`,
        [collection, originClientId, originId],
      );
      return row && rowToRecord(row);
    });
  }

  /**
   * Holds the write until commit. A record this transaction did not read must still be new: it
   * is written with a plain INSERT, so a concurrent creator of the same id makes the commit fail
   * with 23505 and the transaction re-runs (and then sees the record), instead of silently
   * overwriting it.
   */
  async putRecord(record: ServerRecord): Promise<void> {
    this.#writable().putRecord(record);
  }

  #writable(): TransactionCache {
    if (!this.#cache) throw new Error('write in a read-only tidesync transaction');
    return this.#cache;
  }

  /**
   * Writes what the transaction holds in one statement, the last before COMMIT: clients'
   * `lastSeq`, the outcomes, and the records (updates of rows this transaction read and locked,
   * plain inserts of the others), which take their feed positions from the single meta row.
   * That row lock is held until commit, so positions are handed out in commit order: no
   * transaction can commit a position below one a reader has already seen (docs/server.md).
   */
  async flush(): Promise<void> {
    const cache = this.#writable();
    const records = cache.pendingRecords();
    const statement = batchWriteStatement(this.#t, {
      lastSeqs: this.#lastSeqs,
      outcomes: cache.pendingOutcomes(),
      records,
    });
    if (!statement) return;
    const [row] = await this.#rows<{ written: string }>(statement.text, statement.values);
    if (Number(row?.written ?? -1) !== records.length) {
      throw new Error(`tidesync wrote ${row?.written} of ${records.length} records`);
    }
    if (this.#setKeys.size > 0) await this.#flushSetKeys();
  }

  /**
   * Bumps the set-index rows of this transaction's records to the positions they were just
   * given, in the same transaction (the meta row lock is still held): index rows commit with
   * their feed entries, in commit order.
   */
  async #flushSetKeys(): Promise<void> {
    const rows = setWriteRows(this.#setKeys.all());
    const t = this.#t;
    await this.#rows(
      `INSERT INTO ${t}set_index (collection, part, field, value, id, position)
       SELECT k.c, k.p, k.f, k.v, k.i, r.position
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS k(c, p, f, v, i)
       JOIN ${t}records r ON r.collection = k.c AND r.id = k.i
       ON CONFLICT (collection, part, field, value, id) DO UPDATE SET position = EXCLUDED.position`,
      [0, 1, 2, 3, 4].map((c) => rows.map((row) => row[c])),
    );
  }
}
