import type { SqliteDriver, SqliteRow } from './sqlite-driver.js';
import { UPSERT_META } from './sqlite-statements.js';

// Layout 5: the two metadata values nearly every local write changes (the client's clock and
// the outbox counter) are carried on the outbox's last op row, which that write appends
// anyway, instead of in their own `tidesync_meta` rows: one page and two statements fewer per
// commit. They stay in `tidesync_meta` while the outbox is empty.
//
// Where the carried keys' values are (read in this order):
// 1. the `carried_meta` column of the op with the highest seq, when there is an op and the
//    column is set (a JSON object of the keys that are set);
// 2. else their `tidesync_meta` rows (an empty outbox, or a file upgraded from layout 4 until
//    its first write that carries them);
// 3. else they are not set.
// Every transaction that may change which op is last (appends, moves, deletes of ops) or sets
// a carried key ends by writing the values it holds to the op that is last at commit, and then
// deletes their meta rows; with no op left, it writes the meta rows instead. Earlier ops keep
// stale copies that are never read: only the last op's copy counts.
//
// The first op a transaction appends is written with the values the transaction will most
// likely end with (its own clock and seq: an insert or update stores exactly those), in the
// op's own INSERT. When the values at commit are those and that op is still last, the flush
// writes nothing more: a local write is one statement shorter. Otherwise it writes the values
// as before, so a wrong guess costs the statement the guess saved, never a wrong value.

/** Metadata keys carried on the last op (the client's clock and outbox counter). */
export const CARRIED_META_KEYS: readonly string[] = ['client.hlc', 'outbox.seq'];
const CARRIED: ReadonlySet<string> = new Set(CARRIED_META_KEYS);
const CARRIED_SQL_LIST = CARRIED_META_KEYS.map((key) => `'${key}'`).join(', ');

const SELECT_CARRIED_ROWS = `SELECT key, value FROM tidesync_meta WHERE key IN (${CARRIED_SQL_LIST})`;
/** Writes the carried values onto the op that is last now; `changes` 0 when there is none. */
const CARRY_ON_LAST_OP =
  'UPDATE tidesync_ops SET carried_meta = ? WHERE seq = (SELECT max(seq) FROM tidesync_ops)';
const DELETE_CARRIED_ROWS = `DELETE FROM tidesync_meta WHERE key IN (${CARRIED_SQL_LIST})`;
const DELETE_META = 'DELETE FROM tidesync_meta WHERE key = ?';

/** A value as reading its JSON back gives it (primitives as they are, the rest copied). */
function asJson(value: unknown): unknown {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

/**
 * The carried metadata of one SQLite transaction: loaded once (one statement) before the first
 * read or write that needs it, held in memory, and written back by {@link CarriedMeta.flush}
 * just before `COMMIT`. Values are held as reading their JSON back gives them.
 */
export class CarriedMeta {
  /** Reads the last op's `seq` and `carried_meta` (both null, or no row, for an empty outbox). */
  readonly #readLastOp: (driver: SqliteDriver) => Promise<SqliteRow | undefined>;
  /** The values as of now in this transaction; `undefined` until loaded. */
  #values: Map<string, unknown> | undefined;
  /** Carried keys that have a `tidesync_meta` row. */
  readonly #inTable = new Set<string>();
  /** The highest op seq when loaded, `null` for an empty outbox. */
  #lastSeq: number | null = null;
  /** Whether the last op or a carried value may have changed: flush has work to do. */
  #dirty = false;
  #loading: Promise<void> | undefined;
  /** Whether this transaction has given an op the guessed values ({@link CarriedMeta.guessFor}). */
  #guessed = false;
  /** The op written with the guessed values, while it is the last op: its seq and clock. */
  #guess: { readonly seq: number; readonly hlc: string } | undefined;

  constructor(readLastOp: (driver: SqliteDriver) => Promise<SqliteRow | undefined>) {
    this.#readLastOp = readLastOp;
  }

  /** Whether `key` is one of {@link CARRIED_META_KEYS}. */
  static carries(key: string): boolean {
    return CARRIED.has(key);
  }

  /** Loads the values once per transaction. Must run before the first op write. */
  load(driver: SqliteDriver): Promise<void> {
    // One load even when calls of the transaction run concurrently.
    this.#loading ??= this.#load(driver);
    return this.#loading;
  }

  async #load(driver: SqliteDriver): Promise<void> {
    const last = await this.#readLastOp(driver);
    const seq = last?.['seq'];
    this.#lastSeq = seq === undefined || seq === null ? null : Number(seq);
    const carried = last?.['carried_meta'];
    if (carried !== undefined && carried !== null) {
      this.#values = new Map(Object.entries(JSON.parse(String(carried)) as object));
      return;
    }
    this.#values = this.#fromRows(await driver.all(SELECT_CARRIED_ROWS));
  }

  #fromRows(rows: readonly SqliteRow[]): Map<string, unknown> {
    const values = new Map<string, unknown>();
    for (const row of rows) {
      const key = String(row['key']);
      values.set(key, JSON.parse(String(row['value'])));
      this.#inTable.add(key);
    }
    return values;
  }

  /** The value of a carried key (`undefined`: not set), loading the values first if needed. */
  async read(driver: SqliteDriver, key: string): Promise<unknown> {
    await this.load(driver);
    const value = this.#values?.get(key);
    return typeof value === 'object' && value !== null ? asJson(value) : value;
  }

  /** Sets (or, with `undefined`, removes) a carried key, loading the values first if needed. */
  async write(driver: SqliteDriver, key: string, value: unknown): Promise<void> {
    await this.load(driver);
    const stored = asJson(value);
    if (stored === undefined) this.#values?.delete(key);
    else this.#values?.set(key, stored);
    this.#dirty = true;
  }

  /** Notes an op written with `seq` (it may now be the last op), after load. */
  opWritten(seq: number): void {
    if (this.#lastSeq === null || seq >= this.#lastSeq) this.#dirty = true;
    if (this.#guess && seq > this.#guess.seq) this.#guess = undefined;
  }

  /** Notes an op deleted or moved to another seq (the last op may have changed), after load. */
  opMoved(): void {
    this.#dirty = true;
    this.#guess = undefined;
  }

  /**
   * The `carried_meta` to write with the op `seq` (clock `hlc`), after {@link CarriedMeta.opWritten}:
   * the values the transaction will most likely end with, for the first op it writes that is
   * the last op; else `null` (nothing to write). Call {@link CarriedMeta.guessWritten} once the
   * row holds it.
   */
  guessFor(seq: number, hlc: string): string | null {
    if (this.#guessed || (this.#lastSeq !== null && seq < this.#lastSeq)) return null;
    this.#guessed = true;
    return JSON.stringify({ [CARRIED_META_KEYS[0]!]: hlc, [CARRIED_META_KEYS[1]!]: seq });
  }

  /** Notes that the row of op `seq` now holds the values {@link CarriedMeta.guessFor} gave. */
  guessWritten(seq: number, hlc: string): void {
    this.#guess = { seq, hlc };
  }

  /** Whether the last op already holds `values` (the guess was right). */
  #guessHolds(values: ReadonlyMap<string, unknown>): boolean {
    const guess = this.#guess;
    return (
      guess !== undefined &&
      values.size === 2 &&
      values.get(CARRIED_META_KEYS[0]!) === guess.hlc &&
      values.get(CARRIED_META_KEYS[1]!) === guess.seq
    );
  }

  /** Writes the carried values where the next transaction reads them. Runs before `COMMIT`. */
  async flush(driver: SqliteDriver): Promise<void> {
    const values = this.#values;
    if (!this.#dirty || !values) return;
    this.#dirty = false;
    let changes = 1;
    if (!this.#guessHolds(values)) {
      const carried = values.size > 0 ? JSON.stringify(Object.fromEntries(values)) : null;
      ({ changes } = await driver.run(CARRY_ON_LAST_OP, [carried]));
    }
    if (changes > 0) {
      if (this.#inTable.size > 0) await driver.run(DELETE_CARRIED_ROWS);
      this.#inTable.clear();
      return;
    }
    // No op left: the values live in their meta rows.
    for (const key of CARRIED_META_KEYS) {
      if (values.has(key)) {
        await driver.run(UPSERT_META, [key, JSON.stringify(values.get(key))]);
        this.#inTable.add(key);
      } else if (this.#inTable.delete(key)) {
        await driver.run(DELETE_META, [key]);
      }
    }
  }
}
