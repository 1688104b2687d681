import type { CollectionDefinition, SyncUser } from '../../core/index.js';
import { isInScope } from '../server-context.js';
import type { FeedEntry, LiveChannel, ServerRecord, ServerStore } from '../server-store.js';
import type { ChangeNotice } from './committed-change.js';
import type { ConnectionState, LiveConnection, LiveSettings } from './live-connection.js';
import { knownStates, scopedStates } from './live-scope.js';
import { leftSetSince, setChangeVisible, setsCoverChange, statesCoverEntry } from './live-sets.js';

/**
 * The live streams of one server process: who is connected, which committed change each of them
 * may see (the server's scope rule), and the pokes and heartbeats they get.
 *
 * A poke carries only the feed position; the device pulls to get the data, so a lost poke can
 * delay a change but never skip one. Pokes to one stream are coalesced: the first goes at once,
 * later ones within `coalesceMs` become one trailing poke.
 */
export class LiveHub {
  readonly #collections: ReadonlyMap<string, CollectionDefinition>;
  readonly #store: ServerStore;
  readonly #channel: LiveChannel;
  readonly #settings: LiveSettings;
  readonly #onError: (error: Error) => void;
  readonly #byUser = new Map<string, Set<ConnectionState>>();
  readonly #all = new Set<ConnectionState>();
  /** Feed position up to which the heartbeat's check has looked (see `#catchUp`). */
  #scannedTo: number | undefined;
  #catchingUp = false;
  #unsubscribe: (() => void) | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(
    collections: ReadonlyMap<string, CollectionDefinition>,
    store: ServerStore,
    channel: LiveChannel,
    settings: LiveSettings,
    onError: (error: Error) => void,
  ) {
    this.#collections = collections;
    this.#store = store;
    this.#channel = channel;
    this.#settings = settings;
    this.#onError = onError;
  }

  /** Open streams in this process. */
  get size(): number {
    return this.#all.size;
  }

  /** Whether one more stream may open (`maxConnections`). */
  get hasRoom(): boolean {
    return this.#all.size < this.#settings.maxConnections;
  }

  /**
   * Registers an open stream whose `ready` said `head`; returns the function that unregisters
   * it (idempotent).
   */
  add(connection: LiveConnection, head: number): () => void {
    this.#scannedTo ??= head;
    const state: ConnectionState = {
      connection,
      position: 0,
      covered: head,
      lastPokeAt: 0,
      timer: undefined,
    };
    this.#all.add(state);
    let forUser = this.#byUser.get(connection.user.userId);
    if (!forUser) {
      forUser = new Set();
      this.#byUser.set(connection.user.userId, forUser);
    }
    forUser.add(state);
    this.#unsubscribe ??= this.#channel.subscribe(
      (notice) => void this.#deliver(notice).catch((error: unknown) => this.#fail(error)),
      () => this.#pokeAll(),
    );
    this.#heartbeat ??= unref(
      setInterval(
        () => void this.#beat().catch((e: unknown) => this.#fail(e)),
        this.#settings.heartbeatMs,
      ),
    );
    return () => this.#remove(state);
  }

  /** Ends every stream and stops listening; new streams may still open afterwards. */
  close(): void {
    for (const state of [...this.#all]) {
      this.#remove(state);
      state.connection.end();
    }
  }

  #remove(state: ConnectionState): void {
    if (!this.#all.delete(state)) return;
    if (state.timer !== undefined) clearTimeout(state.timer);
    const forUser = this.#byUser.get(state.connection.user.userId);
    forUser?.delete(state);
    if (forUser?.size === 0) this.#byUser.delete(state.connection.user.userId);
    if (this.#all.size === 0) {
      this.#scannedTo = undefined;
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
      if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
  }

  async #deliver(notice: ChangeNotice): Promise<void> {
    if (this.#all.size === 0) return;
    const setChanges = notice.setChanges ?? [];
    const users = new Set<Set<ConnectionState>>();
    const plainOwners = new Set(notice.ownerIds);
    for (const ownerId of [...plainOwners, ...setChanges.map((c) => c.ownerId)]) {
      const forUser = this.#byUser.get(ownerId);
      if (forUser) users.add(forUser);
    }
    let records: readonly ServerRecord[] = [];
    if (notice.scoped.length > 0) {
      records = await scopedStates(this.#store, notice);
      for (const forUser of this.#byUser.values()) users.add(forUser);
    }
    for (const forUser of users) {
      const first = forUser.values().next().value;
      if (!first) continue;
      const user = first.connection.user;
      const plain =
        plainOwners.has(user.userId) ||
        records.some((r) => !this.#isSetCollection(r.collection) && this.#visible(r, user));
      const seen = plain
        ? []
        : setChanges.filter((c) => setChangeVisible(this.#collections, c, records, user));
      if (!plain && seen.length === 0) continue;
      for (const state of forUser) {
        if (!plain && !seen.some((change) => setsCoverChange(state.connection.sets, change))) {
          continue;
        }
        // The pushing device has the push's results already: pulling them back is waste.
        if (notice.originClientId !== null && state.connection.clientId === notice.originClientId) {
          state.covered = Math.max(state.covered, notice.position);
          continue;
        }
        this.#poke(state, notice.position);
      }
    }
  }

  #isSetCollection(name: string): boolean {
    return this.#collections.get(name)?.sync === 'sets';
  }

  #visible(record: ServerRecord, user: SyncUser): boolean {
    const collection = this.#collections.get(record.collection);
    return collection !== undefined && isInScope(collection, record, user);
  }

  #poke(state: ConnectionState, position: number): void {
    state.position = Math.max(state.position, position);
    state.covered = Math.max(state.covered, position);
    if (state.timer !== undefined) return;
    const wait = state.lastPokeAt + this.#settings.coalesceMs - Date.now();
    if (wait <= 0) {
      this.#send(state);
      return;
    }
    state.timer = setTimeout(() => {
      state.timer = undefined;
      this.#send(state);
    }, wait);
  }

  #send(state: ConnectionState): void {
    state.lastPokeAt = Date.now();
    this.#write(state, `event: poke\ndata: {"position":${state.position}}\n\n`);
  }

  #write(state: ConnectionState, text: string): void {
    if (state.connection.write(text)) return;
    this.#remove(state);
    state.connection.end();
  }

  /** After notices may have been lost: every stream pulls once. */
  #pokeAll(): void {
    void this.#store
      .read((reader) => reader.getHead())
      .then((head) => {
        for (const state of [...this.#all]) this.#poke(state, head);
      })
      .catch((error: unknown) => this.#fail(error));
  }

  /**
   * The safety net for lost notices (an instance that died between its commit and its NOTIFY):
   * the feed entries committed since the last heartbeat are checked against every stream, and
   * a stream in scope of one it was never poked past gets a poke. So a lost notice costs at
   * most one heartbeat of delay. At most `MAX_CATCH_UP` entries per heartbeat; the rest next time.
   */
  async #catchUp(): Promise<void> {
    const from = this.#scannedTo;
    if (from === undefined) return;
    const entries = await this.#store.read((reader) => reader.listChanges(from, MAX_CATCH_UP));
    const last = entries[entries.length - 1];
    if (!last) return;
    this.#scannedTo = Math.max(this.#scannedTo ?? 0, last.position);
    for (const forUser of this.#byUser.values()) {
      const first = forUser.values().next().value;
      if (!first) continue;
      const user = first.connection.user;
      for (const state of forUser) {
        // Former states too: a record that left the user's scope is a removal in their pull.
        const missed = entries.some(
          ({ position, record }) =>
            position > state.covered &&
            statesCoverEntry(
              state.connection.sets,
              this.#isSetCollection(record.collection),
              knownStates(record).filter((known) => this.#visible(known, user)),
            ),
        );
        if (missed || (await this.#leftSet(state, entries))) this.#poke(state, last.position);
      }
    }
  }

  /** Whether one of the user's own records in `entries` left a set of the stream (see leftSetSince). */
  async #leftSet(state: ConnectionState, entries: readonly FeedEntry[]): Promise<boolean> {
    const { sets, user } = state.connection;
    const candidate = entries.some(
      ({ position, record }) =>
        position > state.covered &&
        record.ownerId === user.userId &&
        this.#isSetCollection(record.collection),
    );
    if (!sets || !candidate) return false;
    return this.#store.read((reader) =>
      leftSetSince(reader, this.#collections, sets, user, state.covered),
    );
  }

  async #beat(): Promise<void> {
    // The check reads the feed; a slow read (a long write holding a lock) must not hold up the
    // heartbeats, and two checks never overlap.
    if (!this.#catchingUp) {
      this.#catchingUp = true;
      void this.#catchUp()
        .catch((error: unknown) => this.#fail(error))
        .finally(() => {
          this.#catchingUp = false;
        });
    }
    // Re-checking the user here ends a stream whose token expired within one heartbeat.
    await Promise.all(
      [...this.#all].map(async (state) => {
        let allowed: boolean;
        try {
          allowed = await state.connection.reauthorize();
        } catch {
          allowed = false;
        }
        if (!this.#all.has(state)) return;
        if (!allowed) {
          state.connection.write(
            'event: unauthorized\ndata: {"code":"unauthorized","status":401}\n\n',
          );
          this.#remove(state);
          state.connection.end();
          return;
        }
        this.#write(state, `event: ping\ndata: {"position":${state.position}}\n\n`);
      }),
    );
  }

  #fail(error: unknown): void {
    this.#onError(error instanceof Error ? error : new Error(String(error)));
  }
}

// Feed entries the heartbeat's check reads at most per heartbeat.
const MAX_CATCH_UP = 1000;

function unref<T>(handle: T): T {
  (handle as { unref?: () => void }).unref?.();
  return handle;
}
