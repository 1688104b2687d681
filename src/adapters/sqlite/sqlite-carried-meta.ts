import type { SqliteDriver, SqliteRow, SqliteValue } from './sqlite-driver.js';
import { UPSERT_META } from './sqlite-statements.js';

// Layout 5: the two metadata values nearly every local write changes (the client's clock and
// the outbox counter) are carried on the outbox's last op row, which that write appends
// anyway, instead of in their own `tidesync_meta` rows: one page and two statements fewer per
// commit. They stay in `tidesync_meta` while the outbox is empty.
//
// Where a carried key's value is (read in this order):
// 1. its `tidesync_meta` row, when there is one (files upgraded from layout 4 keep theirs
//    until the next write that carries them);
// 2. else the `carried_meta` column of the op with the highest seq, when there is an op;
// 3. else it is not set.
// Every transaction that may change which op is last (appends, moves, deletes of ops) or sets
// a carried key ends by writing the values it holds back to the op that is last at commit.
// Earlier ops keep stale copies that are never read: only the last op's copy counts.

/** Metadata keys carried on the last op (the client's clock and outbox counter). */
export const CARRIED_META_KEYS: readonly string[] = ['client.hlc', 'outbox.seq'];
const CARRIED: ReadonlySet<string> = new Set(CARRIED_META_KEYS);
const CARRIED_SQL_LIST = CARRIED_META_KEYS.map((key) => `'${key}'`).join(', ');

/** Both sources of the carried keys in one statement: their meta rows, then the last op. */
const LOAD_CARRIED = `SELECT key, value, NULL AS seq FROM tidesync_meta WHERE key IN (${CARRIED_SQL_LIST})
  UNION ALL SELECT NULL, carried_meta, seq FROM (SELECT carried_meta, seq FROM tidesync_ops ORDER BY seq DESC LIMIT 1)`;
/** Writes the carried values onto the op that is last now; `changes` 0 when there is none. */
const CARRY_ON_LAST_OP =
  'UPDATE tidesync_ops SET carried_meta = ? WHERE seq = (SELECT max(seq) FROM tidesync_ops)';
const DELETE_CARRIED_ROWS = `DELETE FROM tidesync_meta WHERE key IN (${CARRIED_SQL_LIST})`;
const DELETE_META = 'DELETE FROM tidesync_meta WHERE key = ?';

/**
 * The carried metadata of one SQLite transaction: loaded once (one statement) before the first
 * read or write that needs it, held in memory, and written back by {@link CarriedMeta.flush}
 * just before `COMMIT`. Values are held as JSON text, as `tidesync_meta` stores them.
 */
export class CarriedMeta {
  /** The values as of now in this transaction, as JSON text; `undefined` until loaded. */
  #texts: Map<string, string> | undefined;
  /** Carried keys that have a `tidesync_meta` row (which wins over the last op's copy). */
  readonly #inTable = new Set<string>();
  /** The highest op seq when loaded, `null` for an empty outbox. */
  #lastSeq: number | null = null;
  /** Whether the last op or a carried value may have changed: flush has work to do. */
  #dirty = false;
  #loading: Promise<void> | undefined;

  /** Whether `key` is one of {@link CARRIED_META_KEYS}. */
  static carries(key: string): boolean {
    return CARRIED.has(key);
  }

  /** Loads both sources once per transaction. Must run before the first op write. */
  load(driver: SqliteDriver): Promise<void> {
    // One load even when calls of the transaction run concurrently.
    this.#loading ??= driver.all(LOAD_CARRIED).then((rows) => this.#loaded(rows));
    return this.#loading;
  }

  #loaded(rows: readonly SqliteRow[]): void {
    const fromTable = new Map<string, string>();
    let fromOp: Record<string, unknown> = {};
    for (const row of rows) {
      if (row['key'] === null) {
        this.#lastSeq = Number(row['seq']);
        if (row['value'] !== null) fromOp = JSON.parse(String(row['value'])) as typeof fromOp;
      } else {
        fromTable.set(String(row['key']), String(row['value']));
      }
    }
    const texts = new Map<string, string>();
    for (const key of CARRIED_META_KEYS) {
      const text =
        fromTable.get(key) ??
        (Object.hasOwn(fromOp, key) ? JSON.stringify(fromOp[key]) : undefined);
      if (fromTable.has(key)) this.#inTable.add(key);
      if (text !== undefined) texts.set(key, text);
    }
    this.#texts = texts;
  }

  /** The JSON text of a carried key, after {@link CarriedMeta.load}. */
  get(key: string): string | undefined {
    return this.#texts?.get(key);
  }

  /** Sets (or, with `undefined`, removes) a carried key, after {@link CarriedMeta.load}. */
  set(key: string, text: string | undefined): void {
    if (text === undefined) this.#texts?.delete(key);
    else this.#texts?.set(key, text);
    this.#dirty = true;
  }

  /** Notes an op written with `seq` (it may now be the last op), after load. */
  opWritten(seq: number): void {
    if (this.#lastSeq === null || seq >= this.#lastSeq) this.#dirty = true;
  }

  /** Notes an op deleted or moved to another seq (the last op may have changed), after load. */
  opMoved(): void {
    this.#dirty = true;
  }

  /** Writes the carried values where the next transaction reads them. Runs before `COMMIT`. */
  async flush(driver: SqliteDriver): Promise<void> {
    const texts = this.#texts;
    if (!this.#dirty || !texts) return;
    this.#dirty = false;
    // One JSON object of the values (their texts spliced in, not encoded twice).
    const carried =
      texts.size > 0
        ? `{${Array.from(texts, ([key, text]) => `${JSON.stringify(key)}:${text}`).join(',')}}`
        : null;
    const { changes } = await driver.run(CARRY_ON_LAST_OP, [carried]);
    if (changes > 0) {
      if (this.#inTable.size > 0) await driver.run(DELETE_CARRIED_ROWS);
      this.#inTable.clear();
      return;
    }
    // No op left: the values live in their meta rows.
    for (const key of CARRIED_META_KEYS) {
      const text = texts.get(key);
      if (text !== undefined) {
        const params: SqliteValue[] = [key, text];
        await driver.run(UPSERT_META, params);
        this.#inTable.add(key);
      } else if (this.#inTable.delete(key)) {
        await driver.run(DELETE_META, [key]);
      }
    }
  }
}
