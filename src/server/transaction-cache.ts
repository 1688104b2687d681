import type { OpResult } from '../core/index.js';
import { takeRecordJson } from './record-json.js';
import type { ServerRecord } from './server-store.js';

/** The key of a record: collection and canonical id. */
export const recordKey = (collection: string, id: string): string => `${collection}\u0000${id}`;

const originKey = (collection: string, originClientId: string, originId: string): string =>
  `${collection}\u0000${originClientId}\u0000${originId}`;

const outcomeKey = (clientId: string, opId: string): string => `${clientId}\u0000${opId}`;

/** A record write held until commit, its JSON columns already serialised. */
export interface PendingRecord {
  /** The record's columns; its `data`, `fieldClocks` and `formerData` are the JSON texts below. */
  readonly record: Omit<ServerRecord, 'data' | 'fieldClocks' | 'formerData'>;
  readonly data: string;
  readonly fieldClocks: string;
  /** `null` when the record keeps no former states. */
  readonly former: string | null;
  /** Whether the transaction read a stored row for it (update), else it is new (insert). */
  readonly stored: boolean;
}

/** An outcome write held until commit, serialised. */
export interface PendingOutcome {
  readonly clientId: string;
  readonly opId: string;
  readonly seq: number;
  readonly result: string;
}

/** A copy of a record of JSON values (cheaper than `structuredClone` for these shapes). */
function copyRecord(record: ServerRecord): ServerRecord {
  return {
    ...record,
    data: JSON.parse(JSON.stringify(record.data)) as ServerRecord['data'],
    fieldClocks: { ...record.fieldClocks },
    ...(record.formerData
      ? { formerData: JSON.parse(JSON.stringify(record.formerData)) as ServerRecord['formerData'] }
      : {}),
  };
}

function fromPending(pending: PendingRecord): ServerRecord {
  return {
    ...pending.record,
    data: JSON.parse(pending.data) as ServerRecord['data'],
    fieldClocks: JSON.parse(pending.fieldClocks) as ServerRecord['fieldClocks'],
    ...(pending.former === null
      ? {}
      : { formerData: JSON.parse(pending.former) as ServerRecord['formerData'] }),
  };
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
  readonly #writes = new Map<string, Omit<PendingRecord, 'stored'>>();
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

  /** Remembers the records a batch read found, and that the other `keys` have none. */
  noteRecordsRead(
    keys: readonly (readonly [string, string])[],
    found: readonly ServerRecord[],
  ): void {
    for (const record of found) this.noteRecord(record.collection, record.id, record);
    for (const [c, id] of keys) if (!this.hasRecord(c, id)) this.noteRecord(c, id, null);
  }

  /**
   * Remembers the records a read by origin found (a record already known stays as known), and
   * that no other stored record has any of `origins` (collection, origin id) of
   * `originClientId`.
   */
  noteOriginsRead(
    originClientId: string,
    origins: readonly (readonly [string, string])[],
    found: readonly ServerRecord[],
  ): void {
    for (const record of found) {
      if (!this.hasRecord(record.collection, record.id)) {
        this.noteRecord(record.collection, record.id, record);
      }
    }
    for (const [c, o] of origins) this.noteNoOrigin(c, originClientId, o);
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
    return this.#byKey(recordKey(collection, id));
  }

  #byKey(k: string): ServerRecord | null | undefined {
    const written = this.#writes.get(k);
    if (written) return fromPending({ ...written, stored: false });
    const found = this.#read.get(k);
    return found && copyRecord(found);
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
    return this.#byKey(k);
  }

  /** The op's outcome: `null` when none is recorded, `undefined` when unknown. */
  outcome(clientId: string, opId: string): OpResult | null | undefined {
    const k = outcomeKey(clientId, opId);
    const written = this.#outcomeWrites.get(k);
    if (written) return JSON.parse(written.result) as OpResult;
    const found = this.#outcomes.get(k);
    return found && (JSON.parse(JSON.stringify(found)) as OpResult);
  }

  /** Holds a record write until commit. */
  putRecord(record: ServerRecord): void {
    const k = recordKey(record.collection, record.id);
    const { data: _data, fieldClocks: _fieldClocks, formerData, ...columns } = record;
    const json = takeRecordJson(record);
    this.#writes.delete(k);
    this.#writes.set(k, {
      record: columns,
      data: json.data,
      fieldClocks: json.fieldClocks,
      former: formerData && formerData.length > 0 ? JSON.stringify(formerData) : null,
    });
    if (record.originClientId !== null && record.originId !== null) {
      this.#writeOrigins.set(
        originKey(record.collection, record.originClientId, record.originId),
        k,
      );
    }
  }

  /** Holds an outcome write until commit. */
  putOutcome(clientId: string, opId: string, seq: number, result: OpResult): void {
    const k = outcomeKey(clientId, opId);
    this.#outcomeWrites.set(k, { clientId, opId, seq, result: JSON.stringify(result) });
  }

  /** The held record writes, in write order. */
  pendingRecords(): PendingRecord[] {
    return [...this.#writes].map(([k, pending]) => ({ ...pending, stored: !!this.#read.get(k) }));
  }

  /** The held outcome writes. */
  pendingOutcomes(): PendingOutcome[] {
    return [...this.#outcomeWrites.values()];
  }
}

/**
 * A read through `cache` (when the transaction has one): `load` runs only when `known` says
 * the cache does not know the answer (`undefined`; `null` is a known absence); `note`
 * remembers what it found, and the read answers what the cache then knows (a copy).
 */
async function readThrough<T>(
  cache: TransactionCache | undefined,
  known: (cache: TransactionCache) => T | null | undefined,
  load: () => Promise<T | undefined>,
  note: (cache: TransactionCache, found: T | null) => void,
): Promise<T | undefined> {
  const cached = cache && known(cache);
  if (cached !== undefined) return cached ?? undefined;
  const found = await load();
  if (!cache) return found;
  note(cache, found ?? null);
  return known(cache) ?? undefined;
}

/**
 * A record read through `cache` (when the transaction has one): `load` runs only when the
 * record's state is unknown, and what it finds is remembered.
 */
export function readRecord(
  cache: TransactionCache | undefined,
  collection: string,
  id: string,
  load: () => Promise<ServerRecord | undefined>,
): Promise<ServerRecord | undefined> {
  return readThrough(
    cache,
    (c) => c.record(collection, id),
    load,
    (c, record) => c.noteRecord(collection, id, record),
  );
}

/** Like {@link readRecord}, for the record with this origin (client and its local id). */
export function readRecordByOrigin(
  cache: TransactionCache | undefined,
  collection: string,
  originClientId: string,
  originId: string,
  load: () => Promise<ServerRecord | undefined>,
): Promise<ServerRecord | undefined> {
  return readThrough(
    cache,
    (c) => c.byOrigin(collection, originClientId, originId),
    load,
    (c, record) =>
      c.noteOriginsRead(originClientId, [[collection, originId]], record ? [record] : []),
  );
}

/** Like {@link readRecord}, for the recorded outcome of an op. */
export function readOutcome(
  cache: TransactionCache | undefined,
  clientId: string,
  opId: string,
  load: () => Promise<OpResult | undefined>,
): Promise<OpResult | undefined> {
  return readThrough(
    cache,
    (c) => c.outcome(clientId, opId),
    load,
    (c, result) => c.noteOutcome(clientId, opId, result),
  );
}
