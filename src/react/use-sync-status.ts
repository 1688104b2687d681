import { useCallback, useSyncExternalStore } from 'react';
import type { SyncClient, SyncClientStatus } from '../index.js';

/**
 * Subscribes a component to the client's {@link SyncClientStatus}: online, syncing, pending
 * ops, open conflicts, last sync time and last error. Re-renders only when the status changes
 * (the client emits `status`), so it is cheap to use in an always-visible indicator.
 *
 * @example
 * function SyncBadge({ client }: { client: SyncClient }) {
 *   const status = useSyncStatus(client);
 *   if (!status.online) return <span>offline · {status.pendingOps} waiting</span>;
 *   if (status.conflicts > 0) return <span>{status.conflicts} conflict(s)</span>;
 *   return <span>{status.syncing ? 'syncing…' : 'up to date'}</span>;
 * }
 */
export function useSyncStatus(client: SyncClient): SyncClientStatus {
  const subscribe = useCallback(
    (onChange: () => void) => client.on('status', () => onChange()),
    [client],
  );
  const getSnapshot = useCallback(() => client.status, [client]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
