import type {
  ListOpsOptions,
  OutboxOp,
  Query,
  StorageTransaction,
  StoredRecord,
  TransactionMode,
} from '../../core/index.js';
import { applyQuery } from '../../core/index.js';
import { CarriedMeta } from './sqlite-carried-meta.js';
import type { SqliteDriver, SqliteValue } from './sqlite-driver.js';
import { duplicateServerId, toStorageError } from './sqlite-errors.js';
import { guardedCall } from './sqlite-guarded-call.js';
import type { OpIndex } from './sqlite-op-index.js';
import { SqliteOps } from './sqlite-ops.js';
import { whereToSql } from './sqlite-query.js';
import {
  RECORD_COLUMNS,
  SELECT_BY_SERVER_ID,
  SELECT_BY_IDS,
  SELECT_BY_SERVER_IDS,
  SERVER_ID_CHUNK,
  SELECT_META,
  SELECT_RECORD,
  UPSERT_META,
  UPSERT_RECORD,
  recordParams,
  toRecord,
} from './sqlite-statements.js';

const byId = (a: StoredRecord, b: StoredRecord): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * One transaction of the SQLite adapter. The adapter has already run `BEGIN` on the driver and
 * ends it; this object only translates calls into statements and guards against use after the
 * end or writes in a readonly transaction.
 */
export class SqliteTransaction implements StorageTransaction {
  readonly #state: {
    readonly driver: SqliteDriver;
    readonly mode: TransactionMode;
    active: boolean;
  };
  readonly #useJson: boolean;
  readonly #ops: SqliteOps;
  readonly #carried: CarriedMeta;

  constructor(driver: SqliteDriver, mode: TransactionMode, useJson: boolean, index: OpIndex) {
    this.#state = { driver, mode, active: true };
    this.#useJson = useJson;
    this.#ops = new SqliteOps(index);
    this.#carried = this.#ops.carried;
  }

  /** Marks the transaction as ended; later calls reject with `TRANSACTION_INACTIVE`. */
  end(): void {
    this.#state.active = false;
  }

  /** Writes what the transaction held in memory (carried metadata). Runs before `COMMIT`. */
  flush(): Promise<void> {
    return this.#carried.flush(this.#state.driver).catch((error: unknown) => {
      throw toStorageError(error, 'writing the clock and outbox counter');
    });
  }

  #call<T>(write: boolean, doing: () => string, work: (d: SqliteDriver) => Promise<T>): Promise<T> {
    return guardedCall(this.#state, write, doing, work);
  }

  getRecord(collection: string, id: string): Promise<StoredRecord | undefined> {
    return this.#oneRecord('reading a record', SELECT_RECORD, collection, id);
  }

  getRecordByServerId(collection: string, serverId: string): Promise<StoredRecord | undefined> {
    return this.#oneRecord(
      'reading a record by server id',
      SELECT_BY_SERVER_ID,
      collection,
      serverId,
    );
  }

  /** The record `sql` finds by its collection and one key, if any. */
  #oneRecord(
    doing: string,
    sql: string,
    collection: string,
    key: string,
  ): Promise<StoredRecord | undefined> {
    return this.#call(
      false,
      () => doing,
      async (d) => {
        const row = await d.get(sql, [collection, key]);
        return row ? toRecord(row) : undefined;
      },
    );
  }

  /** The records of `collection` that hold any of `serverIds`, keyed by server id (batch lookup). */
  getRecordsByServerIds(
    collection: string,
    serverIds: readonly string[],
  ): Promise<Map<string, StoredRecord>> {
    return this.#recordsIn(
      'reading records by server id',
      SELECT_BY_SERVER_IDS,
      collection,
      serverIds,
      (r) => r.serverId,
    );
  }

  /** The records of `collection` with any of the local `ids`, keyed by id (batch lookup). */
  getRecords(collection: string, ids: readonly string[]): Promise<Map<string, StoredRecord>> {
    return this.#recordsIn('reading records', SELECT_BY_IDS, collection, ids, (r) => r.id);
  }

  /** The records `sql` finds for `keys`, in one statement per {@link SERVER_ID_CHUNK} keys. */
  #recordsIn(
    doing: string,
    sql: string,
    collection: string,
    keys: readonly string[],
    keyOf: (record: StoredRecord) => string | null,
  ): Promise<Map<string, StoredRecord>> {
    return this.#call(
      false,
      () => doing,
      async (d) => {
        const found = new Map<string, StoredRecord>();
        for (let start = 0; start < keys.length; start += SERVER_ID_CHUNK) {
          const params: SqliteValue[] = [collection];
          for (let i = start; i < start + SERVER_ID_CHUNK; i++) params.push(keys[i] ?? null);
          for (const row of await d.all(sql, params)) {
            const record = toRecord(row);
            const key = keyOf(record);
            if (key !== null) found.set(key, record);
          }
        }
        return found;
      },
    );
  }

  putRecord(record: StoredRecord): Promise<void> {
    return this.#call(
      true,
      () => `writing record ${record.collection}/${record.id}`,
      async (d) => {
        await d.run(UPSERT_RECORD, recordParams(record)).catch((error: unknown) => {
          throw duplicateServerId(error, record);
        });
      },
    );
  }

  deleteRecord(collection: string, id: string): Promise<void> {
    return this.#call(
      true,
      () => 'deleting a record',
      async (d) => {
        await d.run('DELETE FROM tidesync_records WHERE collection = ? AND id = ?', [
          collection,
          id,
        ]);
      },
    );
  }

  queryRecords(collection: string, query: Query): Promise<StoredRecord[]> {
    return this.#call(
      false,
      () => `querying ${collection}`,
      async (d) => {
        // SQL narrows the rows; applyQuery gives the exact core semantics and order.
        const filter = whereToSql(query.where, this.#useJson);
        const rows = await d.all(
          `SELECT ${RECORD_COLUMNS} FROM tidesync_records${filter.indexedBy} WHERE collection = ? AND deleted = 0${filter.sql}`,
          [collection, ...filter.params],
        );
        return applyQuery(rows.map(toRecord), query);
      },
    );
  }

  listRecords(collection: string): Promise<StoredRecord[]> {
    return this.#call(
      false,
      () => `listing ${collection}`,
      async (d) => {
        const rows = await d.all(
          `SELECT ${RECORD_COLUMNS} FROM tidesync_records WHERE collection = ?`,
          [collection],
        );
        // Sorted in JS: SQLite compares UTF-8 bytes, the contract wants UTF-16 code unit order.
        return rows.map(toRecord).sort(byId);
      },
    );
  }

  listCollections(): Promise<string[]> {
    return this.#call(
      false,
      () => 'listing collections',
      async (d) => {
        const rows = await d.all('SELECT DISTINCT collection FROM tidesync_records');
        return rows.map((row) => String(row['collection'])).sort();
      },
    );
  }

  putOp(op: OutboxOp): Promise<void> {
    return this.#call(
      true,
      () => `writing outbox op ${op.opId}`,
      (d) => this.#ops.put(d, op),
    );
  }

  getOp(opId: string): Promise<OutboxOp | undefined> {
    return this.#call(
      false,
      () => 'reading an outbox op',
      (d) => this.#ops.get(d, opId),
    );
  }

  listOps(options: ListOpsOptions = {}): Promise<OutboxOp[]> {
    return this.#call(
      false,
      () => 'listing outbox ops',
      (d) => this.#ops.list(d, options),
    );
  }

  deleteOp(opId: string): Promise<void> {
    return this.#call(
      true,
      () => 'deleting an outbox op',
      (d) => this.#ops.delete(d, opId),
    );
  }

  getMeta<T = unknown>(key: string): Promise<T | undefined> {
    return this.#call(
      false,
      () => `reading metadata ${key}`,
      async (d) => {
        if (CarriedMeta.carries(key)) return (await this.#carried.read(d, key)) as T | undefined;
        const row = await d.get(SELECT_META, [key]);
        return row ? (JSON.parse(String(row['value'])) as T) : undefined;
      },
    );
  }

  setMeta(key: string, value: unknown): Promise<void> {
    return this.#call(
      true,
      () => `writing metadata ${key}`,
      async (d) => {
        if (CarriedMeta.carries(key)) return this.#carried.write(d, key, value);
        if (value === undefined) {
          await d.run('DELETE FROM tidesync_meta WHERE key = ?', [key]);
          return;
        }
        await d.run(UPSERT_META, [key, JSON.stringify(value)]);
      },
    );
  }
}
