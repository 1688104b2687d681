import type {
  ListOpsOptions,
  OutboxOp,
  Query,
  StorageTransaction,
  StoredRecord,
} from '../../core/index.js';
import { StorageError, applyQuery, innerMap } from '../../core/index.js';
import { DELETED, stagedWithServerId, type Staged } from '../staged.js';
import { cloneJson, cloneRecord } from './json-clone.js';
import { commitStaged } from './memory-commit.js';
import { asksForConflicts, conflictCandidates } from './memory-conflicts.js';
import { recordKey, type MemoryState } from './memory-state.js';

const copy = cloneJson;

/** One transaction of the memory adapter: writes are staged here until `commit()`. */
export class MemoryTransaction implements StorageTransaction {
  readonly #state: MemoryState;
  readonly #writable: boolean;
  #active = true;
  readonly #records = new Map<string, Map<string, Staged<StoredRecord>>>();
  /** collection -> serverId -> local id of records staged here (may be stale; checked on use). */
  readonly #stagedServerIds = new Map<string, Map<string, string>>();
  readonly #ops = new Map<string, Staged<OutboxOp>>();
  readonly #meta = new Map<string, Staged<unknown>>();

  constructor(state: MemoryState, writable: boolean) {
    this.#state = state;
    this.#writable = writable;
  }

  end(): void {
    this.#active = false;
  }

  commit(): void {
    commitStaged(this.#state, this.#records, this.#ops, this.#meta);
  }

  #check(write: boolean): void {
    if (!this.#active) {
      throw new StorageError(
        'TRANSACTION_INACTIVE',
        'This storage transaction has already ended. Do all work inside the transaction callback.',
      );
    }
    if (write && !this.#writable) {
      throw new StorageError(
        'STORAGE_FAILED',
        'Cannot write in a readonly transaction. Open it with mode `readwrite`.',
      );
    }
  }

  /** Records of a collection as this transaction sees them. Read-only: may be the stored map. */
  #collection(collection: string): ReadonlyMap<string, StoredRecord> {
    const stored = this.#state.records.get(collection);
    const staged = this.#records.get(collection);
    if (!staged || staged.size === 0) return stored ?? new Map<string, StoredRecord>();
    const merged = new Map(stored ?? []);
    for (const [id, value] of staged) {
      if (value === DELETED) merged.delete(id);
      else merged.set(id, value);
    }
    return merged;
  }

  async getRecord(collection: string, id: string): Promise<StoredRecord | undefined> {
    this.#check(false);
    const staged = this.#records.get(collection)?.get(id);
    if (staged === DELETED) return undefined;
    const value = staged ?? this.#state.records.get(collection)?.get(id);
    return value === undefined ? undefined : cloneRecord(value);
  }

  async getRecords(collection: string, ids: readonly string[]): Promise<Map<string, StoredRecord>> {
    this.#check(false);
    const staged = this.#records.get(collection);
    const stored = this.#state.records.get(collection);
    const found = new Map<string, StoredRecord>();
    for (const id of ids) {
      const value = staged?.get(id) ?? stored?.get(id);
      if (value !== undefined && value !== DELETED) found.set(id, cloneRecord(value));
    }
    return found;
  }

  async getRecordByServerId(
    collection: string,
    serverId: string,
  ): Promise<StoredRecord | undefined> {
    this.#check(false);
    const value = this.#byServerId(collection, serverId);
    return value === undefined ? undefined : cloneRecord(value);
  }

  async getRecordsByServerIds(
    collection: string,
    serverIds: readonly string[],
  ): Promise<Map<string, StoredRecord>> {
    this.#check(false);
    const found = new Map<string, StoredRecord>();
    for (const serverId of serverIds) {
      const value = this.#byServerId(collection, serverId);
      if (value !== undefined) found.set(serverId, cloneRecord(value));
    }
    return found;
  }

  /** The record holding `serverId`, as held (not a copy): this transaction's writes first. */
  #byServerId(collection: string, serverId: string): StoredRecord | undefined {
    const own = this.#stagedServerId(collection, serverId);
    if (own) return own;
    const staged = this.#records.get(collection);
    const stored = this.#state.records.get(collection);
    const id =
      this.#state.serverIds.get(collection)?.get(serverId) ??
      (stored?.get(serverId)?.serverId === serverId ? serverId : undefined);
    if (id === undefined || staged?.has(id)) return undefined;
    return stored?.get(id);
  }

  /** The staged record with this server id: through the staged index, else by a scan. */
  #stagedServerId(collection: string, serverId: string): StoredRecord | undefined {
    const id = this.#stagedServerIds.get(collection)?.get(serverId);
    if (id === undefined) return undefined;
    const staged = this.#records.get(collection);
    const hit = staged?.get(id);
    if (hit !== undefined && hit !== DELETED && hit.serverId === serverId) return hit;
    // The indexed record changed its server id or was deleted since: look at every staged one.
    return stagedWithServerId(staged, serverId);
  }

  async putRecord(record: StoredRecord): Promise<void> {
    this.#check(true);
    innerMap(this.#records, record.collection).set(record.id, cloneRecord(record));
    if (record.serverId !== null) {
      innerMap(this.#stagedServerIds, record.collection).set(record.serverId, record.id);
    }
  }

  async deleteRecord(collection: string, id: string): Promise<void> {
    this.#check(true);
    innerMap(this.#records, collection).set(id, DELETED);
  }

  async queryRecords(collection: string, query: Query): Promise<StoredRecord[]> {
    this.#check(false);
    const candidates = asksForConflicts(query)
      ? conflictCandidates(
          this.#state.conflicted,
          collection,
          this.#state.records.get(collection),
          this.#records.get(collection),
        )
      : this.#collection(collection).values();
    return applyQuery(candidates, query).map(cloneRecord);
  }

  async listRecords(collection: string): Promise<StoredRecord[]> {
    this.#check(false);
    return [...this.#collection(collection).values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(cloneRecord);
  }

  async listCollections(): Promise<string[]> {
    this.#check(false);
    const names = new Set([...this.#state.records.keys(), ...this.#records.keys()]);
    return [...names].filter((name) => this.#collection(name).size > 0).sort();
  }

  async putOp(op: OutboxOp): Promise<void> {
    this.#check(true);
    this.#ops.set(op.opId, copy(op));
  }

  async getOp(opId: string): Promise<OutboxOp | undefined> {
    this.#check(false);
    const staged = this.#ops.get(opId);
    if (staged === DELETED) return undefined;
    const value = staged ?? this.#state.ops.get(opId);
    return value === undefined ? undefined : copy(value);
  }

  async listOps(options: ListOpsOptions = {}): Promise<OutboxOp[]> {
    this.#check(false);
    const state = this.#state;
    const states = options.states ? new Set(options.states) : undefined;
    const matches = (op: OutboxOp): boolean =>
      (!states || states.has(op.state)) &&
      (options.collection === undefined || op.collection === options.collection) &&
      (options.recordId === undefined || op.id === options.recordId);
    const stagedMatches: OutboxOp[] = [];
    for (const value of this.#ops.values())
      if (value !== DELETED && matches(value)) stagedMatches.push(value);
    // Committed candidates: one record's ops through the index, else all in insertion order.
    let committed: Iterable<OutboxOp>;
    if (options.recordId !== undefined && options.collection !== undefined) {
      const ids =
        state.opsByRecord.get(recordKey(options.collection, options.recordId)) ?? new Set<string>();
      committed = [...ids]
        .map((id) => state.ops.get(id))
        .filter((op): op is OutboxOp => op !== undefined);
    } else {
      committed = state.ops.values();
    }
    const ordered = state.opsSorted && stagedMatches.length === 0 && options.recordId === undefined;
    const rows: OutboxOp[] = [];
    for (const op of committed) {
      if (this.#ops.has(op.opId) || !matches(op)) continue;
      rows.push(op);
      // Insertion order is seq order here, so a limit can stop the scan early.
      if (ordered && options.limit !== undefined && rows.length >= options.limit) break;
    }
    rows.push(...stagedMatches);
    if (!ordered) rows.sort((a, b) => a.seq - b.seq);
    return (options.limit === undefined ? rows : rows.slice(0, options.limit)).map(copy);
  }

  async deleteOp(opId: string): Promise<void> {
    this.#check(true);
    this.#ops.set(opId, DELETED);
  }

  async getMeta<T = unknown>(key: string): Promise<T | undefined> {
    this.#check(false);
    const staged = this.#meta.get(key);
    if (staged === DELETED) return undefined;
    const value = this.#meta.has(key) ? staged : this.#state.meta.get(key);
    return value === undefined ? undefined : (copy(value) as T);
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    this.#check(true);
    this.#meta.set(key, value === undefined ? DELETED : copy(value));
  }
}
