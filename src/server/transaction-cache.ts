import type { OpResult } from '../core/index.js';
import type { ServerRecord } from './server-store.js';

/** The key of a record: collection and canonical id. */
export const recordKey = (collection: string, id: string): string => `${collection}\u0000${id}`;

const originKey = (collection: string, originClientId: string, originId: string): string =>
  `${collection}\u0000${originClientId}\u0000${originId}`;

const outcomeKey = (clientId: string, opId: string): string => `${clientId}\u0000${opId}`;

/** A record write held until commit. */
export interface PendingRecord {
  readonly record: ServerRecord;
  /** Whether the transaction read a stored row for it (update), else it is new (insert). */
  readonly stored: boolean;
}

/** An outcome write held until commit. */
export interface PendingOutcome {
  readonly clientId: string;
  readonly opId: string;
  readonly seq: number;
  readonly result: OpResult;
}

/**
 * What one write transaction of a SQL store has read and written: reads are answered from it
 * (its own writes first), and writes are held here until the store writes them all at once
 * before commit. `undefined` from a lookup means "not known, ask the database"; `null` means
 * "known to be absent". Returned values are copies.
 */
export class TransactionCache {
  /** Rows as read from the database (`null`: no such row). */
  readonly #read = new Map<string, ServerRecord | null>();
  /** Origin key to the record key read from the database (`null`: no such row). */
  readonly #readOrigins = new Map<string, string | null>();
  readonly #outcomes = new Map<string, OpResult | null>();
  /** Record writes in write order (a rewrite moves the record to the end). */
  readonly #writes = new Map<string, ServerRecord>();
  readonly #writeOrigins = new Map<string, string>();
  readonly #outcomeWrites = new Map<string, PendingOutcome>();

  /** Whether the record's stored state (or absence) is known. */
  hasRecord(collection: string, id: string): boolean {
    const k = recordKey(collection, id);
    return this.#writes.has(k) || this.#read.has(k);
  }

  /** Whether the record with this origin is known (found or known to be absent). */
  hasOrigin(collection: string, originClientId: string, originId: string): boolean {
    const k = originKey(collection, originClientId, originId);
    return this.#writeOrigins.has(k) || this.#readOrigins.has(k);
  }

  /** Whether the op's recorded outcome (or its absence) is known. */
  hasOutcome(clientId: string, opId: string): boolean {
    return this.#outcomes.has(outcomeKey(clientId, opId));
  }

  /** Remembers a record read from the database, or that `collection`/`id` has none. */
  noteRecord(collection: string, id: string, record: ServerRecord | null): void {
    this.#read.set(recordKey(collection, id), record);
    if (record && record.originClientId !== null && record.originId !== null) {
      const k = originKey(record.collection, record.originClientId, record.originId);
      if (!this.#readOrigins.get(k))
        this.#readOrigins.set(k, recordKey(record.collection, record.id));
    }
  }

  /** Remembers that no stored record has this origin. */
  noteNoOrigin(collection: string, originClientId: string, originId: string): void {
    const k = originKey(collection, originClientId, originId);
    if (!this.#readOrigins.has(k)) this.#readOrigins.set(k, null);
  }

  /** Remembers an outcome read from the database, or its absence. */
  noteOutcome(clientId: string, opId: string, result: OpResult | null): void {
    this.#outcomes.set(outcomeKey(clientId, opId), result);
  }

  /** The record as this transaction sees it: `null` when absent, `undefined` when unknown. */
  record(collection: string, id: string): ServerRecord | null | undefined {
    const k = recordKey(collection, id);
    const found = this.#writes.get(k) ?? this.#read.get(k);
    return found && structuredClone(found);
  }

  /** The record with this origin: `null` when absent, `undefined` when unknown. */
  byOrigin(
    collection: string,
    originClientId: string,
    originId: string,
  ): ServerRecord | null | undefined {
    const o = originKey(collection, originClientId, originId);
    const k = this.#writeOrigins.get(o) ?? this.#readOrigins.get(o);
    if (k === undefined || k === null) return k;
    const found = this.#writes.get(k) ?? this.#read.get(k);
    return found && structuredClone(found);
  }

  /** The op's outcome: `null` when none is recorded, `undefined` when unknown. */
  outcome(clientId: string, opId: string): OpResult | null | undefined {
    const k = outcomeKey(clientId, opId);
    const found = this.#outcomeWrites.get(k)?.result ?? this.#outcomes.get(k);
    return found && structuredClone(found);
  }

  /** Holds a record write until commit. */
  putRecord(record: ServerRecord): void {
    const k = recordKey(record.collection, record.id);
    this.#writes.delete(k);
    this.#writes.set(k, structuredClone(record));
    if (record.originClientId !== null && record.originId !== null) {
      this.#writeOrigins.set(
        originKey(record.collection, record.originClientId, record.originId),
        k,
      );
    }
  }

  /** Holds an outcome write until commit. */
  putOutcome(outcome: PendingOutcome): void {
    const k = outcomeKey(outcome.clientId, outcome.opId);
    this.#outcomeWrites.set(k, { ...outcome, result: structuredClone(outcome.result) });
  }

  /** The held record writes, in write order. */
  pendingRecords(): PendingRecord[] {
    return [...this.#writes].map(([k, record]) => ({ record, stored: !!this.#read.get(k) }));
  }

  /** The held outcome writes. */
  pendingOutcomes(): PendingOutcome[] {
    return [...this.#outcomeWrites.values()];
  }
}
