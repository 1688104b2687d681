import type { ClientStatus } from './client-status.js';
import type { ResolvedOptions } from './options.js';
import type { SyncRunner } from './sync-runner.js';

/**
 * Starts where automatic syncs come from: the tab coordinator and the app's triggers. Their
 * requests go to `runs`; a trigger's connectivity goes to `status`, its local-write listeners
 * into `writeListeners`, and changes another tab made to `onRemoteChange`.
 * @returns the functions that stop the triggers
 */
export function startRuntime(
  opts: ResolvedOptions,
  runs: SyncRunner,
  status: ClientStatus,
  writeListeners: Set<() => void>,
  onRemoteChange: (collections: readonly string[]) => void,
): (() => void)[] {
  const coordinator = opts.coordinator;
  if (coordinator) {
    coordinator.start({
      onLeadershipChange: (isLeader) => {
        if (isLeader) runs.request();
      },
      onRemoteChange,
      onSyncRequest: () => runs.request(),
    });
  }
  return opts.triggers.map((trigger) =>
    trigger.start({
      requestSync: () => runs.request(),
      setOnline: (online) => status.set({ online }),
      onLocalWrite: (listener) => {
        writeListeners.add(listener);
        return () => writeListeners.delete(listener);
      },
      timers: opts.timers,
    }),
  );
}
