// The runtime flow (src/client/runtime/): where automatic syncs come from. The trigger port
// (sync-trigger.ts) and the built-in triggers, the tab coordinator port (sync-coordinator.ts)
// and the Web Locks coordinator, and the wiring that starts them for a client. It asks the sync
// runner for runs; nothing else imports it but the client facade and the public index.

import type { EventEmitter } from 'eventemitter3';
import type { ClientStatus } from '../sync/client-status.js';
import type { ResolvedOptions } from '../options.js';
import type { ServerApi } from '../sync/server-api.js';
import type { SyncRunner } from '../sync/sync-runner.js';
import { withStreamSets, withTabSets, type LiveSetSource } from './live-stream-sets.js';

/** What the runtime needs from its client besides the runs and the status. */
export interface RuntimeHooks {
  readonly clientId: string;
  /** The port to the server (its stream for the live trigger); `undefined` without a transport. */
  readonly server: ServerApi | undefined;
  /** The client's emitter of `SyncClientEvents`. */
  readonly events: EventEmitter;
  /** Local-write listeners of the triggers. */
  readonly writeListeners: Set<() => void>;
  /** Changes another tab made. */
  readonly onRemoteChange: (collections: readonly string[]) => void;
  /** The device's sync sets, sent with the live stream; only with `sync: 'sets'` collections. */
  readonly liveSets?: LiveSetSource;
}

/**
 * Starts where automatic syncs come from: the tab coordinator and the app's triggers. Their
 * requests go to `runs`; a trigger's connectivity and live state go to `status`, its
 * local-write listeners into `writeListeners`, and changes another tab made to `onRemoteChange`.
 * @returns the functions that stop the triggers (and the set-change relay to other tabs)
 */
export function startRuntime(
  opts: ResolvedOptions,
  runs: SyncRunner,
  status: ClientStatus,
  hooks: RuntimeHooks,
): (() => void)[] {
  const coordinator = opts.coordinator;
  const leadershipListeners = new Set<(isLeader: boolean) => void>();
  const remoteSetListeners = new Set<() => void>();
  const stops: (() => void)[] = [];
  if (coordinator) {
    coordinator.start({
      onLeadershipChange: (isLeader) => {
        if (isLeader) runs.request();
        for (const listener of [...leadershipListeners]) listener(isLeader);
      },
      onRemoteChange: hooks.onRemoteChange,
      onSyncRequest: () => runs.request(),
      onRemoteSetsChange: () => {
        for (const listener of [...remoteSetListeners]) listener();
      },
    });
  }
  let liveSets = hooks.liveSets;
  if (coordinator && liveSets) {
    // A set added or removed here reaches the leader's stream, and one of another tab ours.
    const publish = () => coordinator.publishSetsChange?.();
    stops.push(liveSets.onChange(publish));
    liveSets = withTabSets(liveSets, (listener) => {
      remoteSetListeners.add(listener);
      return () => remoteSetListeners.delete(listener);
    });
  }
  const serverStream = hooks.server?.openStream;
  const openStream =
    serverStream && liveSets ? withStreamSets(serverStream, liveSets) : serverStream;
  const { events } = hooks;
  const triggers = opts.triggers.map((trigger) =>
    trigger.start({
      requestSync: () => runs.request(),
      setOnline: (online) => status.set({ online }),
      onLocalWrite: (listener) => {
        hooks.writeListeners.add(listener);
        return () => hooks.writeListeners.delete(listener);
      },
      timers: opts.timers,
      clientId: hooks.clientId,
      openStream,
      setLive: (live) => status.set({ live }),
      isLeader: () => coordinator?.isLeader ?? true,
      onLeadershipChange: (listener) => {
        leadershipListeners.add(listener);
        return () => leadershipListeners.delete(listener);
      },
      onSyncRun: (listener) => {
        const start = () => listener('start');
        const complete = () => listener('complete');
        events.on('syncStart', start);
        events.on('syncComplete', complete);
        return () => {
          events.off('syncStart', start);
          events.off('syncComplete', complete);
        };
      },
      reportError: (error) => {
        status.set({ lastError: error });
        events.emit('syncError', error);
      },
    }),
  );
  return [...triggers, ...stops];
}
