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
import {
  RECORD_COLUMNS,
  parseOutcome,
  pendingValues,
  rowToClient,
  rowToRecord,
  storedJsonBytes,
} from './sql-rows.js';
import type { FeedDialect } from './feed-ranges.js';
import {
  feedCountStatement,
  feedLastStatement,
  feedPageStatement,
  feedRanges,
} from './feed-ranges.js';

const SQLITE: FeedDialect = { at: () => '?', rowBound: false };
import { PendingSetKeys } from './sets/memory-set-index.js';
import type { SetIndexQuery, SetIndexWrite } from './sets/set-index.js';
import {
  setCountStatement,
  setRangeStatement,
  setRowsToEntries,
  setWriteRows,
} from './sets/sql-set-index.js';
import {
  TransactionCache,
  readOutcome,
  readRecord,
  readRecordByOrigin,
} from './transaction-cache.js';

/** A prepared statement, as better-sqlite3 provides it. */
export interface SqliteServerStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** Prepares (or returns the cached) statement for some SQL. */
export interface SqliteStatementCache {
  statement(sql: string): SqliteServerStatement;
}

/**
 * One transaction of the SQLite server store. A write transaction answers reads from what it
 * already read or wrote, and holds its writes until {@link SqliteTransaction.flush}.
 */
export class SqliteTransaction implements ServerStoreTransaction {
  readonly #store: SqliteStatementCache;
  readonly #p: string;
  /** What this write transaction read and holds to write; `undefined` for a reader. */
  readonly #cache: TransactionCache | undefined;
  readonly #setKeys = new PendingSetKeys();

  constructor(store: SqliteStatementCache, prefix: string, writable: boolean) {
    this.#store = store;
    this.#p = prefix;
    this.#cache = writable ? new TransactionCache() : undefined;
  }

  #meta(): { epoch: string; head: number } {
    const row = this.#store
      .statement(`SELECT epoch, head FROM ${this.#p}meta WHERE id = 1`)
      .get() as { epoch: string; head: number } | undefined;
    if (!row) throw new Error('tidesync meta row missing');
    return row;
  }

  async getEpoch(): Promise<string> {
    return this.#meta().epoch;
  }

  async getHead(): Promise<number> {
    return Number(this.#meta().head);
  }

  async listChanges(after: number, limit: number, filter?: ChangeFilter): Promise<FeedEntry[]> {
    const ranges = filter ? feedRanges(filter) : [{}];
    const statement = feedPageStatement(
      this.#p,
      ranges,
      after,
      limit,
      SQLITE,
      (positions) => `position IN (${positions})`,
    );
    return statement ? this.#entries(statement.text, ...statement.values) : [];
  }

  async lastChange(after: number, filter: ChangeFilter): Promise<FeedEntry | undefined> {
    const { text, values } = feedLastStatement(this.#p, filter, after, SQLITE);
    const row = this.#store.statement(text).get(...values) as { p: number | null } | undefined;
    if (row?.p === null || row?.p === undefined) return undefined;
    const [entry] = await this.listChanges(Number(row.p) - 1, 1);
    return entry;
  }

  async countChanges(after: number, filter?: ChangeFilter): Promise<number> {
    const { text, values } = filter
      ? feedCountStatement(this.#p, filter, after, SQLITE)
      : { text: `SELECT count(*) AS n FROM ${this.#p}records WHERE position > ?`, values: [after] };
    const row = this.#store.statement(text).get(...values) as { n: number } | undefined;
    return Number(row?.n ?? 0);
  }

  async listSetChanges(query: SetIndexQuery, limit: number): Promise<FeedEntry[]> {
    const { text, values } = setRangeStatement(this.#p, query, limit, () => '?');
    const rows = this.#store.statement(text).all(...values) as Parameters<
      typeof setRowsToEntries
    >[0];
    return setRowsToEntries(rows);
  }

  async countSetChanges(query: SetIndexQuery): Promise<number> {
    const { text, values } = setCountStatement(this.#p, query, () => '?');
    const row = this.#store.statement(text).get(...values) as { n: number } | undefined;
    return Number(row?.n ?? 0);
  }

  /** Held until commit (see {@link flush}). */
  async putSetKeys(write: SetIndexWrite): Promise<void> {
    this.#writable();
    this.#setKeys.add(write);
  }

  #entries(sql: string, ...params: unknown[]): FeedEntry[] {
    const rows = this.#store.statement(sql).all(...params) as RecordRow[];
    return rows.map((row) => ({
      position: Number(row.position),
      record: rowToRecord(row),
      jsonBytes: storedJsonBytes(row),
    }));
  }

  async getRecord(collection: string, id: string): Promise<ServerRecord | undefined> {
    return readRecord(this.#cache, collection, id, async () => {
      const row = this.#store
        .statement(`SELECT * FROM ${this.#p}records WHERE collection = ? AND id = ?`)
        .get(collection, id) as RecordRow | undefined;
      return row && rowToRecord(row);
    });
  }

  async getClient(clientId: string): Promise<ClientState | undefined> {
    const row = this.#store
      .statement(`SELECT * FROM ${this.#p}clients WHERE client_id = ?`)
      .get(clientId) as ClientRow | undefined;
    return row && rowToClient(row);
  }

  async lockClient(clientId: string, userId: string): Promise<ClientState> {
    const row = this.#store
      .statement(
        `INSERT INTO ${this.#p}clients (client_id, user_id, last_seq) VALUES (?, ?, 0)
         ON CONFLICT (client_id) DO UPDATE SET last_seq = last_seq RETURNING *`,
      )
      .get(clientId, userId) as ClientRow | undefined;
    if (!row) throw new Error(`client ${clientId} vanished`);
    return rowToClient(row);
  }

  async setLastSeq(clientId: string, lastSeq: number): Promise<void> {
    this.#store
      .statement(`UPDATE ${this.#p}clients SET last_seq = ? WHERE client_id = ?`)
      .run(lastSeq, clientId);
  }

  async preload(request: PreloadRequest): Promise<void> {
    const cache = this.#cache;
    if (!cache) return;
    const p = this.#p;
    const { clientId } = request;
    const opIds = [...new Set(request.opIds)].filter((op) => !cache.hasOutcome(clientId, op));
    if (opIds.length > 0) {
      const rows = this.#store
        .statement(
          `SELECT op_id, result FROM ${p}outcomes
           WHERE client_id = ? AND op_id IN (SELECT value FROM json_each(?))`,
        )
        .all(clientId, JSON.stringify(opIds)) as { op_id: string; result: string }[];
      const found = new Map(rows.map((row) => [row.op_id, parseOutcome(row.result)]));
      for (const opId of opIds) cache.noteOutcome(clientId, opId, found.get(opId) ?? null);
    }
    const records = request.records.filter(([c, id]) => !cache.hasRecord(c, id));
    if (records.length > 0) {
      const rows = this.#store
        .statement(
          `SELECT r.* FROM json_each(?) AS k CROSS JOIN ${p}records AS r
           ON r.collection = json_extract(k.value, '$[0]') AND r.id = json_extract(k.value, '$[1]')`,
        )
        .all(JSON.stringify(records)) as RecordRow[];
      cache.noteRecordsRead(records, rows.map(rowToRecord));
    }
    const origins = request.origins.filter(([c, o]) => !cache.hasOrigin(c, clientId, o));
    if (origins.length > 0) {
      const rows = this.#store
        .statement(
          `SELECT r.* FROM json_each(?) AS k CROSS JOIN ${p}records AS r
           ON r.collection = json_extract(k.value, '$[0]') AND r.origin_client_id = ?
           AND r.origin_id = json_extract(k.value, '$[1]')`,
        )
        .all(JSON.stringify(origins), clientId) as RecordRow[];
      cache.noteOriginsRead(clientId, origins, rows.map(rowToRecord));
    }
  }

  async getOutcome(clientId: string, opId: string): Promise<OpResult | undefined> {
    return readOutcome(this.#cache, clientId, opId, async () => {
      const row = this.#store
        .statement(`SELECT result FROM ${this.#p}outcomes WHERE client_id = ? AND op_id = ?`)
        .get(clientId, opId) as { result: string } | undefined;
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
      const row = this.#store
        .statement(
          `SELECT * FROM ${this.#p}records WHERE collection = ? AND origin_client_id = ? AND origin_id = ? LIMIT 1`,
        )
        .get(collection, originClientId, originId) as RecordRow | undefined;
      return row && rowToRecord(row);
    });
  }

  /** Holds the write until commit (see {@link flush}). */
  async putRecord(record: ServerRecord): Promise<void> {
    this.#writable().putRecord(record);
  }

  #writable(): TransactionCache {
    if (!this.#cache) throw new Error('write in a read-only tidesync transaction');
    return this.#cache;
  }

  /**
   * Writes what the transaction holds, as the last statements before COMMIT: each record once
   * (its latest state) with its feed position, in write order, then the outcomes and the head.
   */
  flush(): void {
    const cache = this.#writable();
    const p = this.#p;
    const outcomes = cache.pendingOutcomes();
    if (outcomes.length > 0) {
      const put = this.#store.statement(
        `INSERT OR REPLACE INTO ${p}outcomes (client_id, op_id, seq, result) VALUES (?, ?, ?, ?)`,
      );
      for (const o of outcomes) put.run(o.clientId, o.opId, o.seq, o.result);
    }
    const pending = cache.pendingRecords();
    if (pending.length === 0) return;
    let position = Number(this.#meta().head);
    const assignments = RECORD_COLUMNS.split(', ')
      .slice(2)
      .map((c) => `${c} = excluded.${c}`)
      .join(', ');
    const put = this.#store.statement(
      `INSERT INTO ${p}records (${RECORD_COLUMNS}, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (collection, id) DO UPDATE SET ${assignments}, position = excluded.position`,
    );
    for (const entry of pending) {
      position += 1;
      put.run(...pendingValues(entry, true), position);
    }
    this.#store.statement(`UPDATE ${p}meta SET head = ? WHERE id = 1`).run(position);
    if (this.#setKeys.size === 0) return;
    // Index rows take the position their record was just given (docs/sync-sets.md).
    const bump = this.#store.statement(
      `INSERT INTO ${p}set_index (collection, part, field, value, id, position)
       SELECT ?, ?, ?, ?, ?, position FROM ${p}records WHERE collection = ? AND id = ?
       ON CONFLICT (collection, part, field, value, id) DO UPDATE SET position = excluded.position`,
    );
    for (const row of setWriteRows(this.#setKeys.all())) bump.run(...row, row[0], row[4]);
  }
}
