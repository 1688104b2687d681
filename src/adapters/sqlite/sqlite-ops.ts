import type { ListOpsOptions, OpState, OutboxOp } from '../../core/index.js';
import { StorageError } from '../../core/index.js';
import { CarriedMeta } from './sqlite-carried-meta.js';
import type { SqliteDriver, SqliteRow } from './sqlite-driver.js';
import { duplicateSeq } from './sqlite-errors.js';
import { decodeOpBody, encodeOpBody } from './sqlite-op-body.js';
import type { OpIndex } from './sqlite-op-index.js';
import {
  DELETE_OP,
  INSERT_OP,
  MOVE_OP,
  SELECT_OP,
  SELECT_OPS_START,
  UPDATE_OP,
  listOpsSql,
} from './sqlite-statements.js';

/**
 * The outbox calls of one SQLite transaction (layout 7): ops are rows keyed by seq, found by op
 * id and by record through the connection's {@link OpIndex}. The transaction guards each call
 * (sqlite-guarded-call.ts) and runs it here.
 */
export class SqliteOps {
  /** The clock and outbox counter carried on the last op (sqlite-carried-meta.ts). */
  readonly carried = new CarriedMeta((d) => this.#start(d));
  readonly #index: OpIndex;
  #started: Promise<SqliteRow | undefined> | undefined;

  constructor(index: OpIndex) {
    this.#index = index;
  }

  /**
   * Runs once per transaction before its first op call: one statement reads `data_version`
   * (the op index is rebuilt if another connection wrote) and the last op, for the carried
   * metadata. Resolves with that last op's row.
   */
  #start(d: SqliteDriver): Promise<SqliteRow | undefined> {
    this.#started ??= d.get(SELECT_OPS_START).then(async (row) => {
      await this.#index.sync(d, Number(row?.['data_version']));
      return row;
    });
    return this.#started;
  }

  /** The row of op `seq`, checked to be op `opId` when given. */
  async #row(d: SqliteDriver, seq: number, opId?: string): Promise<SqliteRow> {
    const row = await d.get(SELECT_OP, [seq]);
    if (row && (opId === undefined || row['op_id'] === opId)) return row;
    this.#index.drop();
    throw new StorageError(
      'STORAGE_FAILED',
      `The outbox index of this connection expected an op at seq ${seq} that the database does not hold; it will be rebuilt. Retry the transaction.`,
    );
  }

  /** `putOp`: inserts, updates in place, or moves the op with `op.opId`. */
  async put(d: SqliteDriver, op: OutboxOp): Promise<void> {
    await this.carried.load(d);
    this.carried.opWritten(op.seq);
    const body = encodeOpBody(op);
    // Asked before the branch, as for every op write: a move uses up the guess too.
    const carried = this.carried.guessFor(op.seq, op.hlc);
    const at = this.#index.get(op.opId);
    const entry = { seq: op.seq, collection: op.collection, recordId: op.id };
    if (!at) {
      await d
        .run(INSERT_OP, [op.seq, op.opId, op.collection, op.id, op.state, body, carried])
        .catch((error: unknown) => {
          throw duplicateSeq(error, op);
        });
      this.#index.set(op.opId, entry);
    } else if (at.seq === op.seq && at.collection === op.collection && at.recordId === op.id) {
      await d.run(UPDATE_OP, [op.state, body, carried, op.seq]);
    } else {
      this.carried.opMoved();
      await d
        .run(MOVE_OP, [op.seq, op.collection, op.id, op.state, body, at.seq])
        .catch((error: unknown) => {
          throw duplicateSeq(error, op);
        });
      this.#index.set(op.opId, entry);
      return;
    }
    if (carried !== null) this.carried.guessWritten(op.seq, op.hlc);
  }

  /** `getOp`. */
  async get(d: SqliteDriver, opId: string): Promise<OutboxOp | undefined> {
    await this.#start(d);
    const at = this.#index.get(opId);
    return at ? decodeOpBody(await this.#row(d, at.seq, opId)) : undefined;
  }

  /** `listOps`: one record's ops through the index, the rest by a walk of the table. */
  async list(d: SqliteDriver, options: ListOpsOptions): Promise<OutboxOp[]> {
    const { collection, recordId } = options;
    if (collection === undefined || recordId === undefined) {
      const { sql, params } = listOpsSql(options);
      const rows = await d.all(sql, params);
      return rows.map(decodeOpBody);
    }
    await this.#start(d);
    const ops: OutboxOp[] = [];
    const limit = options.limit ?? Infinity;
    // A copy: the index may change while the rows are read.
    for (const seq of [...this.#index.seqsOf(collection, recordId)]) {
      if (ops.length >= limit) break;
      const row = await this.#row(d, seq);
      if (options.states && !options.states.includes(String(row['state']) as OpState)) continue;
      ops.push(decodeOpBody(row));
    }
    return ops;
  }

  /** `deleteOp`: deleting an op the table does not hold writes nothing. */
  async delete(d: SqliteDriver, opId: string): Promise<void> {
    await this.carried.load(d);
    const at = this.#index.get(opId);
    if (!at) return;
    this.carried.opMoved();
    await d.run(DELETE_OP, [at.seq]);
    this.#index.delete(opId);
  }
}
