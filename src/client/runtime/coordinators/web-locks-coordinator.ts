import { TidesyncError, createId, describeValue, toError } from '../../../core/index.js';
import type { SyncCoordinator, SyncCoordinatorHooks } from '../sync-coordinator.js';
import { MESSAGE_MARK, parseMessage, type CoordinatorMessage } from './tab-messages.js';

/**
 * The part of the Web Locks API (`navigator.locks`) the coordinator uses. Pass your own for
 * runtimes without it or for tests.
 */
export interface LockManagerLike {
  /**
   * Queues for the exclusive lock `name`, calls `callback` once it is granted, and holds the
   * lock until the promise `callback` returns settles. Rejects with an `AbortError` when
   * `signal` aborts while the request is still queued.
   */
  request(
    name: string,
    options: { readonly mode: 'exclusive'; readonly signal: AbortSignal },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown>;
}

/** A message event as a `BroadcastChannel` delivers it. */
export interface ChannelMessageEvent {
  readonly data: unknown;
}

/** The part of a `BroadcastChannel` the coordinator uses. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: ChannelMessageEvent) => void): void;
  close(): void;
}

/** A `BroadcastChannel` constructor (the browser's, Node's, or a polyfill). */
export type BroadcastChannelConstructor = new (name: string) => BroadcastChannelLike;

/** Options of {@link webLocksCoordinator}. */
export interface WebLocksCoordinatorOptions {
  /**
   * The shared database's name (for IndexedDB, the `name` given to `indexedDbAdapter()`).
   * Clients with the same name elect one leader; use a different name per database.
   */
  readonly name: string;
  /** The Web Locks lock manager. @default globalThis.navigator.locks */
  readonly locks?: LockManagerLike;
  /** The `BroadcastChannel` class. @default globalThis.BroadcastChannel */
  readonly BroadcastChannel?: BroadcastChannelConstructor;
  /**
   * Called when the lock manager fails in a way that is not a normal release (for example a
   * `SecurityError` on an opaque origin). This client then stays a follower.
   * @default console.error
   */
  readonly onError?: (error: TidesyncError) => void;
}

function invalid(message: string): TidesyncError {
  return new TidesyncError('INVALID_OPTION', message);
}

function defaultLocks(): LockManagerLike | undefined {
  const nav = (globalThis as { navigator?: { locks?: unknown } }).navigator;
  const locks = nav?.locks as { request?: unknown } | undefined;
  return locks && typeof locks.request === 'function' ? (locks as LockManagerLike) : undefined;
}

function defaultChannel(): BroadcastChannelConstructor | undefined {
  const ctor = (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel;
  return typeof ctor === 'function' ? (ctor as BroadcastChannelConstructor) : undefined;
}

function isAbortError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'AbortError';
}

/**
 * Elects one syncing client among the tabs (or workers) of one origin that share a database,
 * so exactly one of them pushes and pulls at a time (S12). The leader holds an exclusive Web
 * Lock named after the database for as long as it lives; the others queue on the same lock
 * and the first in line takes over when it is released (tab closed, or `client.close()`).
 * A `BroadcastChannel` carries sync requests from followers to the leader and change
 * notices from any tab to the others, so live queries and status counts in every tab follow
 * the shared database, and a sync set added or removed in any tab reopens the leader's live
 * stream with the new sets. A new leader syncs at once, which drains whatever the old one left.
 *
 * Create one coordinator per client. Until the lock is granted (a few milliseconds after
 * `createSyncClient()`), the client is a follower: its `sync()` resolves with
 * `delegated: true` and the sync happens as soon as some tab is leader.
 * See docs/multi-tab.md.
 *
 * @example
 * const client = await createSyncClient({
 *   collections: [todos],
 *   storage: indexedDbAdapter({ name: 'todo-app' }),
 *   transport: httpTransport({ url: '/sync' }),
 *   triggers: [onlineTrigger(), writeTrigger()],
 *   coordinator: webLocksCoordinator({ name: 'todo-app' }),
 * });
 * @throws TidesyncError `INVALID_OPTION` when `name` is not a non-empty string, or when
 *   `locks` / `BroadcastChannel` are not passed and this runtime has no
 *   `navigator.locks` / `BroadcastChannel`.
 */
export function webLocksCoordinator(options: WebLocksCoordinatorOptions): SyncCoordinator {
  if (!options || typeof options !== 'object') {
    throw invalid(
      `Expected \`webLocksCoordinator()\` options to be an object such as \`{ name: 'my-db' }\`, got ${describeValue(options)}.`,
    );
  }
  if (typeof options.name !== 'string' || options.name.length === 0) {
    throw invalid(
      `Expected \`name\` to be a non-empty string (the shared database's name), got ${describeValue(options.name)}.`,
    );
  }
  const locks = options.locks ?? defaultLocks();
  if (!locks || typeof locks.request !== 'function') {
    throw invalid(
      options.locks === undefined
        ? 'webLocksCoordinator() found no `navigator.locks` (Web Locks API) in this runtime. Pass `locks` with a lock manager, or leave `coordinator` out where only one client uses the database.'
        : `Expected \`locks\` to be a lock manager with a \`request()\` method like \`navigator.locks\`, got ${describeValue(options.locks)}.`,
    );
  }
  const Channel = options.BroadcastChannel ?? defaultChannel();
  if (typeof Channel !== 'function') {
    throw invalid(
      options.BroadcastChannel === undefined
        ? 'webLocksCoordinator() found no `BroadcastChannel` in this runtime. Pass `BroadcastChannel` with a compatible class (or a polyfill).'
        : `Expected \`BroadcastChannel\` to be a class like \`globalThis.BroadcastChannel\`, got ${describeValue(options.BroadcastChannel)}.`,
    );
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw invalid(`Expected \`onError\` to be a function, got ${describeValue(options.onError)}.`);
  }
  return new WebLocksCoordinator(options.name, locks, Channel, options.onError);
}

/**
 *   follower (queued on the lock) --granted--> leader (holds it until close)
 *        ^                                        |
 *        +------------ lock lost (stolen) --------+
 *   any state --close()--> closed (queued request aborted, held lock released, channel closed)
 */
class WebLocksCoordinator implements SyncCoordinator {
  readonly #lockName: string;
  readonly #channelName: string;
  readonly #locks: LockManagerLike;
  readonly #Channel: BroadcastChannelConstructor;
  readonly #onError: ((error: TidesyncError) => void) | undefined;
  readonly #id = createId();
  #hooks: SyncCoordinatorHooks | undefined;
  #channel: BroadcastChannelLike | undefined;
  #abort: AbortController | undefined;
  #release: (() => void) | undefined;
  #leader = false;
  #closed = false;

  constructor(
    name: string,
    locks: LockManagerLike,
    Channel: BroadcastChannelConstructor,
    onError: ((error: TidesyncError) => void) | undefined,
  ) {
    this.#lockName = `tidesync:leader:${name}`;
    this.#channelName = `tidesync:tabs:${name}`;
    this.#locks = locks;
    this.#Channel = Channel;
    this.#onError = onError;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  start(hooks: SyncCoordinatorHooks): void {
    if (this.#hooks || this.#closed) {
      throw invalid(
        'This coordinator was already started. Create one `webLocksCoordinator()` per client.',
      );
    }
    this.#hooks = hooks;
    const channel = new this.#Channel(this.#channelName);
    channel.addEventListener('message', (event) => this.#receive(event.data));
    this.#channel = channel;
    this.#queueForLock();
  }

  requestSync(): void {
    this.#post({ mark: MESSAGE_MARK, from: this.#id, type: 'sync-request' });
  }

  publish(collections: readonly string[]): void {
    if (collections.length === 0) return;
    this.#post({
      mark: MESSAGE_MARK,
      from: this.#id,
      type: 'change',
      collections: [...collections],
    });
  }

  publishSetsChange(): void {
    this.#post({ mark: MESSAGE_MARK, from: this.#id, type: 'sets-change' });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#leader = false;
    // Aborting only affects a request still queued; a held lock is released by settling the
    // promise its callback returned.
    this.#abort?.abort();
    this.#release?.();
    this.#release = undefined;
    this.#channel?.close();
    this.#channel = undefined;
  }

  #queueForLock(): void {
    const abort = new AbortController();
    this.#abort = abort;
    this.#locks
      .request(this.#lockName, { mode: 'exclusive', signal: abort.signal }, (lock) => {
        // A grant can race with close(): give the lock straight back.
        if (this.#closed || lock === null) return Promise.resolve();
        return new Promise<void>((release) => {
          this.#release = release;
          this.#setLeader(true);
        });
      })
      .then(
        () => this.#lockLost(),
        (error: unknown) => {
          if (this.#closed && isAbortError(error)) return;
          // A held lock taken by `steal` rejects with AbortError too: queue again as follower.
          if (isAbortError(error)) {
            this.#lockLost();
            return;
          }
          this.#report(error);
        },
      );
  }

  /** The lock ended without close(): someone stole it. Step down and queue again. */
  #lockLost(): void {
    if (this.#closed) return;
    this.#release = undefined;
    this.#setLeader(false);
    this.#queueForLock();
  }

  #setLeader(leader: boolean): void {
    if (this.#leader === leader) return;
    this.#leader = leader;
    this.#hooks?.onLeadershipChange(leader);
  }

  #receive(data: unknown): void {
    if (this.#closed) return;
    const message = parseMessage(data);
    if (!message || message.from === this.#id) return;
    if (message.type === 'sync-request') {
      if (this.#leader) this.#hooks?.onSyncRequest();
      return;
    }
    if (message.type === 'sets-change') {
      this.#hooks?.onRemoteSetsChange?.();
      return;
    }
    this.#hooks?.onRemoteChange(message.collections);
  }

  #post(message: CoordinatorMessage): void {
    // A closed BroadcastChannel throws on postMessage; after close() there is no one to tell.
    if (this.#closed || !this.#channel) return;
    this.#channel.postMessage(message);
  }

  #report(error: unknown): void {
    const wrapped = new TidesyncError(
      'STORAGE_FAILED',
      `The Web Locks request for \`${this.#lockName}\` failed (${toError(error).message}), so this client cannot become the syncing tab. Check that the page runs on a secure, non-opaque origin.`,
      { cause: error },
    );
    if (this.#onError) this.#onError(wrapped);
    else console.error(wrapped);
  }
}
