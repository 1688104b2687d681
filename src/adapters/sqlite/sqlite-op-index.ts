import type { SqliteDriver } from './sqlite-driver.js';

// Layout 7: the outbox table has no index of its own. Its rows are keyed by `seq` (the rowid),
// and the two other ways the port reaches an op (by op id: acks, state changes; by record:
// coalescing) go through this in-memory map of every op's id, seq and record instead of two
// b-trees that every insert wrote a page of (5 b-trees per local insert became 3).
//
// The map belongs to one connection. It is built from the table (one scan of four columns) the
// first time a transaction needs it, and again whenever `data_version` shows that another
// connection committed since (SQLite keeps that number per connection and leaves it unchanged
// by the connection's own commits). A transaction that changed the map and then rolled back
// drops it, so it is rebuilt from what the file holds. An op id the map does not hold is not in
// the table: that is what lets a new op be inserted without looking for its id first.

/** Where an op's row is, and the record it belongs to. */
export interface OpEntry {
  readonly seq: number;
  readonly collection: string;
  readonly recordId: string;
}

const SELECT_ALL = 'SELECT seq, op_id, collection, record_id FROM tidesync_ops';
const NO_SEQS: readonly number[] = [];

/** The in-memory index of one connection's outbox rows (see above). */
export class OpIndex {
  #byId = new Map<string, OpEntry>();
  #byRecord = new Map<string, Map<string, number[]>>();
  /** `data_version` when built; `undefined`: not built (or dropped). */
  #dataVersion: number | undefined;
  /** Whether the running transaction changed the map. */
  #changed = false;

  /** Makes the map match the file, given the transaction's `data_version`. */
  async sync(driver: SqliteDriver, dataVersion: number): Promise<void> {
    if (this.#dataVersion === dataVersion) return;
    this.#byId = new Map();
    this.#byRecord = new Map();
    this.#dataVersion = undefined;
    for (const row of await driver.all(SELECT_ALL)) {
      this.#add(String(row['op_id']), {
        seq: Number(row['seq']),
        collection: String(row['collection']),
        recordId: String(row['record_id']),
      });
    }
    this.#dataVersion = dataVersion;
  }

  /** Call when a transaction starts. */
  begin(): void {
    this.#changed = false;
  }

  /** Call when a transaction rolled back: a map it changed no longer matches the file. */
  rolledBack(): void {
    if (this.#changed) this.#dataVersion = undefined;
    this.#changed = false;
  }

  /** Drops the map (it is rebuilt on next use). */
  drop(): void {
    this.#dataVersion = undefined;
  }

  /** Where the op `opId` is, or `undefined` when the table has no such op. */
  get(opId: string): OpEntry | undefined {
    return this.#byId.get(opId);
  }

  /** The seqs of a record's ops, ascending. */
  seqsOf(collection: string, recordId: string): readonly number[] {
    return this.#byRecord.get(collection)?.get(recordId) ?? NO_SEQS;
  }

  /** Notes that the op `opId` is now at `entry` (a new op, or one moved). */
  set(opId: string, entry: OpEntry): void {
    this.#changed = true;
    this.#remove(opId);
    this.#add(opId, entry);
  }

  /** Notes that the op `opId` was deleted. */
  delete(opId: string): void {
    this.#changed = true;
    this.#remove(opId);
  }

  #add(opId: string, entry: OpEntry): void {
    this.#byId.set(opId, entry);
    let records = this.#byRecord.get(entry.collection);
    if (!records) this.#byRecord.set(entry.collection, (records = new Map()));
    const seqs = records.get(entry.recordId);
    if (!seqs) {
      records.set(entry.recordId, [entry.seq]);
      return;
    }
    // Nearly always appended: a new op has the highest seq.
    let at = seqs.length;
    while (at > 0 && seqs[at - 1]! > entry.seq) at--;
    seqs.splice(at, 0, entry.seq);
  }

  #remove(opId: string): void {
    const entry = this.#byId.get(opId);
    if (!entry) return;
    this.#byId.delete(opId);
    const records = this.#byRecord.get(entry.collection);
    const seqs = records?.get(entry.recordId);
    if (!records || !seqs) return;
    const at = seqs.indexOf(entry.seq);
    if (at >= 0) seqs.splice(at, 1);
    if (seqs.length === 0) records.delete(entry.recordId);
    if (records.size === 0) this.#byRecord.delete(entry.collection);
  }
}
