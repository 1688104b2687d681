import type { SyncTrigger } from '../sync-trigger.js';
import { triggerSource } from './trigger-source.js';

const NO_ONLINE_EVENT =
  'onlineTrigger() found no `online` event in this runtime. Pass `onlineTrigger({ source })` with a connectivity source (for example React Native NetInfo).';

/** A source of connectivity changes, such as React Native NetInfo or a test switch. */
export interface ConnectivitySource {
  /** Current state, when known. */
  isOnline?(): boolean | undefined;
  /** Calls `listener` on every change; returns a function that unsubscribes. */
  subscribe(listener: (online: boolean) => void): () => void;
}

interface OnlineEventTarget {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

/** The browser's `online`/`offline` events, when this runtime has them. */
export function browserConnectivity(): ConnectivitySource | undefined {
  const target = (globalThis as { window?: OnlineEventTarget }).window;
  const nav = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  if (!target || typeof target.addEventListener !== 'function') return undefined;
  return {
    isOnline: () => (typeof nav?.onLine === 'boolean' ? nav.onLine : undefined),
    subscribe(listener) {
      const on = () => listener(true);
      const off = () => listener(false);
      target.addEventListener('online', on);
      target.addEventListener('offline', off);
      return () => {
        target.removeEventListener('online', on);
        target.removeEventListener('offline', off);
      };
    },
  };
}

/**
 * Syncs when the network comes back, and keeps `status.online` current. Uses the browser's
 * `online` event by default; pass `source` for React Native (NetInfo) or tests.
 *
 * @example
 * import NetInfo from '@react-native-community/netinfo';
 * onlineTrigger({ source: { subscribe: (fn) => NetInfo.addEventListener((s) => fn(!!s.isConnected)) } });
 * @throws TidesyncError `INVALID_OPTION` when no source is given and the runtime has no `online` event.
 */
export function onlineTrigger(options: { readonly source?: ConnectivitySource } = {}): SyncTrigger {
  return {
    start(context) {
      const source = triggerSource(options.source, browserConnectivity, NO_ONLINE_EVENT);
      const initial = source.isOnline?.();
      if (initial !== undefined) context.setOnline(initial);
      return source.subscribe((online) => {
        context.setOnline(online);
        if (online) context.requestSync('online');
      });
    },
  };
}
