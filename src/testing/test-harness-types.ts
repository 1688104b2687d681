// The option and handle types of createTestHarness (src/testing/test-harness.ts).
import type { SyncClient, SyncResult } from '../client/index.js';
import type { CollectionDefinition, StorageAdapter, SyncSetWhere } from '../core/index.js';
import type { ServerStore, SyncServer, SyncServerOptions } from '../server/index.js';
import type { FakeClock } from './fake-clock.js';
import type { NetworkFaults, SimulatedNetwork } from './simulated-network.js';

/** One client of a {@link createTestHarness} run. */
export interface HarnessClientOptions {
  /**
   * Its storage. Without `storage` and `reopen`, a memory store that survives
   * {@link TestHarness.restartClient}. @default reopen() when given, else a memory adapter
   */
  readonly storage?: StorageAdapter;
  /**
   * Opens the same persisted data again, for {@link TestHarness.restartClient} (say a new
   * `better-sqlite3` `Database` on the same file). Also opens the first storage when `storage`
   * is not given. Required to restart a client with caller-supplied `storage`.
   */
  readonly reopen?: () => StorageAdapter;
  /** The user it signs in as; clients of one user share data. @default 'user-1' */
  readonly user?: string;
  /** Ops per push. @default the client's default (50) */
  readonly batchSize?: number;
  /** This device's wall clock runs this far ahead (negative: behind) of the shared clock. @default 0 */
  readonly clockOffsetMs?: number;
  /**
   * The collection definitions of this device's app version, when it runs another version than
   * the harness's `collections` (say version 1 while others run 3). @default the harness's `collections`
   */
  readonly collections?: readonly CollectionDefinition[];
  /**
   * Sync sets this client declares when it starts (`collection(...).syncSet({ where })`);
   * `assertConverged` compares its `sync: 'sets'` collections with what its sets cover.
   */
  readonly sets?: readonly { readonly collection: string; readonly where: SyncSetWhere }[];
}

/** Options of {@link TestHarness.restartClient}. */
export interface RestartClientOptions {
  /** The app comes back on these collection definitions: an app update (or rollback). */
  readonly collections?: readonly CollectionDefinition[];
}

/** Options of {@link TestHarness.restartServer}. */
export interface RestartServerOptions {
  /** The new server process runs these collection definitions: a deploy of a new version. */
  readonly collections?: readonly CollectionDefinition[];
}

/** Server settings of a harness: any `createSyncServer` option but the ones the harness owns. */
export interface HarnessServerOptions extends Partial<
  Omit<SyncServerOptions, 'collections' | 'authorize'>
> {
  /**
   * Opens the server store again for {@link TestHarness.restartServer} (say a new connection
   * to the same database); the harness closes the store it replaces, and the last one on
   * `close()`. @default the same store object is used again (the database outlived the process)
   */
  readonly reopenStore?: () => ServerStore;
  /**
   * The server's own collection definitions, when they differ from the clients' (a stricter
   * schema, a server already on the next version of the app). @default the harness's `collections`
   */
  readonly collections?: readonly CollectionDefinition[];
}

/** Options of {@link createTestHarness}. */
export interface TestHarnessOptions {
  /** The collection definitions, shared by the server and every client. */
  readonly collections: readonly CollectionDefinition[];
  /** How many clients (on memory storage), or one entry per client. @default 2 */
  readonly clients?: number | readonly HarnessClientOptions[];
  /** Server options; `store` defaults to `memoryServerStore()`. */
  readonly server?: HarnessServerOptions;
  /** Faults of every client's link, and the seed they derive from. @default a perfect link, random seed */
  readonly network?: NetworkFaults & { readonly seed?: number };
  /** Who mints canonical ids. @default 'client' */
  readonly assignId?: 'client' | 'server';
  /** The clock of the server, every client and every link. @default createFakeClock() */
  readonly clock?: FakeClock;
  /**
   * Seed of the ids (records, ops, client ids, server ids) made while the harness is open, so a
   * run replays with the same ids; their time part comes from `clock`. Until `close()`, every id
   * made in the process comes from it: open one seeded harness at a time. @default random ids
   */
  readonly idSeed?: number;
}

/** Options of {@link TestHarness.settle}. */
export interface SettleOptions {
  /** Rounds (every online client syncs once) before giving up. @default 25 */
  readonly maxRounds?: number;
}

/** A server and N clients in one process, with helpers to break and heal their links. */
export interface TestHarness {
  /**
   * The clients, in creation order. Each is an ordinary `SyncClient`; after
   * {@link restartClient}, its index holds the new client.
   */
  readonly clients: readonly SyncClient[];
  /** Each client's simulated link (same index as `clients`). */
  readonly networks: readonly SimulatedNetwork[];
  /** The in-process sync server; after {@link restartServer}, the new one. */
  readonly server: SyncServer;
  /** The clock everyone shares. */
  readonly clock: FakeClock;
  /** Seed every link's random source derives from; print it with a failure to replay. */
  readonly seed: number;
  /** The user client `index` signs in as. */
  user(index: number): string;
  /** Takes client `index` off the network. */
  offline(index: number): void;
  /** Puts client `index` back on the network. */
  online(index: number): void;
  /** Only the listed clients can reach the server; the others are cut off. */
  partition(reachable: readonly number[]): void;
  /** Every link online and fault-free. */
  heal(): void;
  /** Runs `sync()` on client `index`, driving the fake clock while it is in flight. */
  sync(index: number): Promise<SyncResult>;
  /**
   * Syncs every online client, round after round, until a round in which all succeed and
   * nothing is pushed, pulled, conflicted or rejected. Resolves with the rounds it took.
   * @throws SettleError `SYNC_STUCK` after `maxRounds` rounds without quiet.
   */
  settle(options?: SettleOptions): Promise<number>;
  /**
   * Compares every client's visible data with the server's data for that client's user
   * (sync metadata aside); unsynced or conflicted records count as differences. Resolves with
   * the digest of each user's data.
   * @throws ConvergenceError `VALIDATION_FAILED` with a readable diff when a replica differs.
   */
  assertConverged(): Promise<Map<string, string>>;
  /**
   * Simulates the app of client `index` dying and starting again on the same persisted data:
   * the old client is dropped without `close()` (its requests in flight are abandoned, though
   * the server may still apply them; its timers never fire; its transactions not yet committed
   * roll back and nothing it stored is lost), then a new `SyncClient` opens the same storage
   * with the same user, link and clock offset (and, with `options.collections`, a new app
   * version, whose local upgrade runs at open), and replaces it in {@link clients}. A
   * {@link sync} of that client still running rejects with `NetworkError`.
   * @throws TidesyncError `INVALID_OPTION` for a bad index, or a client given `storage` without
   *   `reopen`.
   */
  restartClient(index: number, options?: RestartClientOptions): Promise<SyncClient>;
  /**
   * Simulates a crash or deploy of the server process: a new server over the same server store
   * (opened again, see `reopenStore`), running `options.collections` when given (a deploy of a
   * new schema version). Requests in flight at that moment are lost: their
   * clients see a network failure, and what they wrote is applied only if it had committed.
   */
  restartServer(options?: RestartServerOptions): Promise<SyncServer>;
  /**
   * Sets how far client `index`'s device clock runs ahead (negative: behind) of the shared
   * clock, from now on: a clock jump, as when a user or the network time service resets it. The
   * client's hybrid logical clock never goes back, so its later writes still order after its
   * earlier ones. Kept across {@link restartClient}.
   * @throws TidesyncError `INVALID_OPTION` for a bad index or an offset that is not a finite number.
   */
  setClockOffset(index: number, offsetMs: number): void;
  /** Closes every client, and the server store when the harness created it. */
  close(): Promise<void>;
}
