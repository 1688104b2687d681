import type { SyncClient, SyncClientStatus } from 'tidesync';
import { useSyncStatus } from 'tidesync/react';

/** What the indicator shows, most urgent first. */
export type IndicatorState = 'offline' | 'conflict' | 'syncing' | 'pending' | 'synced';

/** Picks the indicator state and its text from the client's status. */
export function describeStatus(status: SyncClientStatus): { state: IndicatorState; text: string } {
  const waiting = `${status.pendingOps} change${status.pendingOps === 1 ? '' : 's'} waiting`;
  if (!status.online) return { state: 'offline', text: `Offline · ${waiting}` };
  if (status.conflicts > 0) {
    const n = status.conflicts;
    return { state: 'conflict', text: `${n} conflict${n === 1 ? '' : 's'} to resolve` };
  }
  if (status.syncing) return { state: 'syncing', text: 'Syncing…' };
  if (status.pendingOps > 0) return { state: 'pending', text: waiting };
  return { state: 'synced', text: 'All changes synced' };
}

/** The always-visible online / pending / conflict indicator, with a "Sync now" button. */
export function SyncIndicator({ client }: { client: SyncClient }) {
  const status = useSyncStatus(client);
  const { state, text } = describeStatus(status);
  return (
    <div className="indicator">
      <span className={`pill pill-${state}`} data-testid="sync-status" data-state={state}>
        {text}
      </span>
      <button
        type="button"
        className="link"
        disabled={!status.online || status.syncing}
        onClick={() => void client.sync().catch(() => undefined)}
      >
        Sync now
      </button>
    </div>
  );
}
