import type { ServerRecord, ServerStore } from '../server-store.js';
import type { CommittedChange, SetChange } from './commit-observer.js';

/**
 * What changed in one committed push, as far as live sync needs to know: enough to decide who
 * may see it, never the data itself on the wire between instances.
 */
export interface ChangeNotice {
  /** The store's feed head read after the commit: at or past every change of the push. */
  readonly position: number;
  /** The client that pushed: its own stream is not poked (it already has the results). */
  readonly originClientId: string | null;
  /** Owners of the changed records of collections without a scope function. */
  readonly ownerIds: readonly string[];
  /**
   * Changed records of collections whose visibility a scope function decides, with the version
   * the change gave each (absent in notices of older instances): another instance reads the
   * record's states since then from the store, so devices that lost sight of it are poked too.
   */
  readonly scoped: readonly {
    readonly collection: string;
    readonly id: string;
    readonly version?: number;
  }[];
  /**
   * Those records' states before and after the change, when the notice comes from this
   * process; a notice from another instance leaves them out and they are read from the store.
   */
  readonly scopedRecords?: readonly ServerRecord[];
  /**
   * Changed records of `sync: 'sets'` collections with their indexed values before and after,
   * so a stream that declared its sets is poked only for changes in them. Absent in notices of
   * older instances (whose owners list names these records' owners: every stream is poked).
   */
  readonly setChanges?: readonly SetChange[];
}

/**
 * How a store's committed changes reach every live hub that serves it: within one process for
 * the memory and SQLite stores, across every instance on one database for Postgres.
 */
export interface LiveChannel {
  /**
   * Announces a committed change to every subscriber (this process's first, with the records'
   * states), stamped with the feed head read after the commit. Resolves once it is sent.
   */
  publish(change: CommittedChange, store: ServerStore): Promise<void>;
  /**
   * Calls `listener` for every change published on the store, also by other instances;
   * `onResync` when notices may have been missed (a dropped listen connection came back), so
   * the hub pokes every stream once. Returns the function that unsubscribes.
   */
  subscribe(listener: (notice: ChangeNotice) => void, onResync?: () => void): () => void;
}

/** A channel that only reaches subscribers in this process. */
export function createLocalChannel(): LiveChannel {
  const listeners = new Set<(notice: ChangeNotice) => void>();
  return {
    async publish(change, store) {
      // Nobody listens: skip the head read, pushes cost what they cost without live sync.
      if (listeners.size === 0) return;
      const position = await store.read((reader) => reader.getHead());
      const notice: ChangeNotice = { ...change, position };
      for (const listener of [...listeners]) listener(notice);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const localChannels = new WeakMap<ServerStore, LiveChannel>();

/**
 * The store's own channel (Postgres: LISTEN/NOTIFY), else one per store object in this
 * process, so two servers over one memory or SQLite store poke each other's streams.
 */
export function channelOf(store: ServerStore): LiveChannel {
  if (store.liveChannel) return store.liveChannel;
  let channel = localChannels.get(store);
  if (!channel) {
    channel = createLocalChannel();
    localChannels.set(store, channel);
  }
  return channel;
}
