import type { OpResult } from '../core/index.js';
import { TidesyncError, createId } from '../core/index.js';
import { MemoryFeed } from './memory-feed.js';
import { Mutex } from './mutex.js';
import { MemorySetIndex, PendingSetKeys } from './sets/memory-set-index.js';
import type { SetIndexQuery, SetIndexWrite } from './sets/set-index.js';
import type {
  ChangeFilter,
  ClientState,
  FeedEntry,
  ServerRecord,
  ServerStore,
  ServerStoreReader,
  ServerStoreTransaction,
} from './server-store.js';

interface MemoryServerState {
  readonly epoch: string;
  head: number;
  /** Record key to record. */
  readonly records: Map<string, ServerRecord>;
  /** Each record's feed position, with logs for paging. */
  readonly feed: MemoryFeed;
  /** Sync-set index rows of `sync: 'sets'` collections. */
  readonly setIndex: MemorySetIndex;
  /** Origin key (collection, origin client, origin id) to record key. */
  readonly origins: Map<string, string>;
  readonly clients: Map<string, ClientState>;
  /** Outcomes as JSON text: written once per op, read back only for a replay. */
  readonly outcomes: Map<string, string>;
}

const key = (a: string, b: string): string => `${a}\u0000${b}`;
const originKey = (collection: string, originClientId: string, originId: string): string =>
  `${collection}\u0000${originClientId}\u0000${originId}`;
// Stored values are JSON (the store contract); a JSON round trip copies them faster than
// structuredClone.
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * Server store that keeps everything in memory, for tests, demos and single-process prototypes.
 * Data is gone when the process ends (a new store has a new epoch, so clients re-base).
 *
 * @example
 * const server = createSyncServer({ collections: [todos], store: memoryServerStore(), authorize });
 */
export function memoryServerStore(): ServerStore {
  return new MemoryServerStore();
}

class MemoryServerStore implements ServerStore {
  readonly kind = 'memory';
  readonly #mutex = new Mutex();
  readonly #state: MemoryServerState = {
    epoch: createId(),
    head: 0,
    records: new Map(),
    feed: new MemoryFeed(),
    setIndex: new MemorySetIndex(),
    origins: new Map(),
    clients: new Map(),
    outcomes: new Map(),
  };
  #closed = false;

  async open(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  read<T>(fn: (reader: ServerStoreReader) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      this.#assertOpen();
      return fn(new MemoryReader(this.#state));
    });
  }

  transaction<T>(fn: (tx: ServerStoreTransaction) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      this.#assertOpen();
      const tx = new MemoryTransaction(this.#state);
      const result = await fn(tx);
      tx.commit();
      return result;
    });
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new TidesyncError('STORAGE_CLOSED', 'The memory server store is closed.');
    }
  }
}

class MemoryReader implements ServerStoreReader {
  protected readonly state: MemoryServerState;

  constructor(state: MemoryServerState) {
    this.state = state;
  }

  async getEpoch(): Promise<string> {
    return this.state.epoch;
  }

  async getHead(): Promise<number> {
    return this.state.head;
  }

  async listChanges(after: number, limit: number, filter?: ChangeFilter): Promise<FeedEntry[]> {
    const out: FeedEntry[] = [];
    for (const { position, key: k } of this.state.feed.page(after, limit, filter)) {
      const record = this.state.records.get(k);
      if (record) out.push({ position, record: copy(record) });
    }
    return out;
  }

  async countChanges(after: number, filter?: ChangeFilter): Promise<number> {
    return this.state.feed.count(after, filter);
  }

  async listSetChanges(query: SetIndexQuery, limit: number): Promise<FeedEntry[]> {
    const out: FeedEntry[] = [];
    for (const entry of this.state.setIndex.range(query, limit)) {
      const record = this.state.records.get(key(query.collection, entry.id));
      if (record) out.push({ position: entry.position, record: copy(record) });
    }
    return out;
  }

  async countSetChanges(query: SetIndexQuery): Promise<number> {
    return this.state.setIndex.count(query);
  }

  async getRecord(collection: string, id: string): Promise<ServerRecord | undefined> {
    const record = this.state.records.get(key(collection, id));
    return record && copy(record);
  }

  async getClient(clientId: string): Promise<ClientState | undefined> {
    const client = this.state.clients.get(clientId);
    return client && { ...client };
  }
}

/** Writes are staged and applied on commit, so a rejected transaction leaves no trace. */
class MemoryTransaction extends MemoryReader implements ServerStoreTransaction {
  readonly #records = new Map<string, ServerRecord>();
  readonly #clients = new Map<string, ClientState>();
  readonly #outcomes = new Map<string, string>();
  readonly #origins = new Map<string, string>();
  readonly #setKeys = new PendingSetKeys();

  override async getRecord(collection: string, id: string): Promise<ServerRecord | undefined> {
    const staged = this.#records.get(key(collection, id));
    return staged ? copy(staged) : super.getRecord(collection, id);
  }

  override async getClient(clientId: string): Promise<ClientState | undefined> {
    const staged = this.#clients.get(clientId);
    return staged ? { ...staged } : super.getClient(clientId);
  }

  async lockClient(clientId: string, userId: string): Promise<ClientState> {
    const existing = await this.getClient(clientId);
    if (existing) return existing;
    const created = { clientId, userId, lastSeq: 0 };
    this.#clients.set(clientId, created);
    return { ...created };
  }

  async setLastSeq(clientId: string, lastSeq: number): Promise<void> {
    const existing = await this.getClient(clientId);
    if (!existing) throw new Error(`Client ${clientId} was not locked in this transaction.`);
    this.#clients.set(clientId, { ...existing, lastSeq });
  }

  async getOutcome(clientId: string, opId: string): Promise<OpResult | undefined> {
    const k = key(clientId, opId);
    const found = this.#outcomes.get(k) ?? this.state.outcomes.get(k);
    return found === undefined ? undefined : (JSON.parse(found) as OpResult);
  }

  async putOutcome(clientId: string, opId: string, _seq: number, result: OpResult): Promise<void> {
    this.#outcomes.set(key(clientId, opId), JSON.stringify(result));
  }

  async getRecordByOrigin(
    collection: string,
    originClientId: string,
    originId: string,
  ): Promise<ServerRecord | undefined> {
    const o = originKey(collection, originClientId, originId);
    const k = this.#origins.get(o) ?? this.state.origins.get(o);
    const record =
      k === undefined ? undefined : (this.#records.get(k) ?? this.state.records.get(k));
    return record && copy(record);
  }

  async putRecord(record: ServerRecord): Promise<void> {
    const k = key(record.collection, record.id);
    this.#records.delete(k);
    this.#records.set(k, copy(record));
    if (record.originClientId !== null && record.originId !== null) {
      this.#origins.set(originKey(record.collection, record.originClientId, record.originId), k);
    }
  }

  async putSetKeys(write: SetIndexWrite): Promise<void> {
    this.#setKeys.add(write);
  }

  commit(): void {
    for (const [k, client] of this.#clients) this.state.clients.set(k, client);
    for (const [k, outcome] of this.#outcomes) this.state.outcomes.set(k, outcome);
    for (const [o, k] of this.#origins) this.state.origins.set(o, k);
    const { feed, records } = this.state;
    for (const [k, record] of this.#records) {
      this.state.head += 1;
      records.set(k, record);
      feed.append(k, this.state.head, record.ownerId, record.collection);
      const setKeys = this.#setKeys.get(record.collection, record.id);
      if (setKeys) this.state.setIndex.put(setKeys, this.state.head);
    }
  }
}
