import type { LiveChannel, ServerStore } from '../server-store.js';
import type { ChangeNotice } from './committed-change.js';

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
