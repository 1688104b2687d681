/**
 * Page script for the multi-tab test: one sync client per page on a shared IndexedDB database,
 * coordinated by `webLocksCoordinator()` with the browser's own `navigator.locks` and
 * `BroadcastChannel`, syncing over HTTP to the server of the test process (mounted at `/sync`).
 * Exposed on `window.tabsPage` for the Node side.
 */
import { createSyncClient, httpTransport } from 'tidesync';
import type { SyncClient, SyncResult } from 'tidesync';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { webLocksCoordinator } from '../../../src/client/runtime/coordinators/index.js';
import type {
  SyncCoordinator,
  SyncCoordinatorHooks,
} from '../../../src/client/runtime/sync-coordinator.js';
import { tabNotes } from '../tabs-collection.js';

/** A record as a tab reads it from its own client. */
export interface TabRecord {
  readonly id: string;
  readonly title: string;
  readonly serverId: string | null;
  readonly syncStatus: string;
}

/** The functions this page exposes on `window.tabsPage`. */
export interface TabsPageApi {
  /** Creates this tab's client on database `name`. */
  open(name: string): Promise<void>;
  /** Whether this tab's coordinator leads. */
  isLeader(): boolean;
  /** Resolves once this tab has become the leader. */
  whenLeader(): Promise<void>;
  /** How many locks on this origin are held and waited for, per the browser's lock manager. */
  lockState(): Promise<{ held: number; pending: number }>;
  insert(title: string): Promise<string>;
  sync(): Promise<SyncResult>;
  /** Resolves with the tab's own rows once `ids` are all `synced` in its live query. */
  whenSynced(ids: string[]): Promise<TabRecord[]>;
  /** Resolves once this client's status shows no pending ops. */
  whenNothingPending(): Promise<void>;
  pendingOps(): Promise<number>;
}

declare global {
  interface Window {
    tabsPage?: TabsPageApi;
  }
}

let client: SyncClient | undefined;
let coordinator: SyncCoordinator | undefined;
let dbName = '';
let leader = false;
const leaderWaiters: (() => void)[] = [];

/** Passes every call through, and lets the page wait for the leadership hook. */
function observed(inner: SyncCoordinator): SyncCoordinator {
  return {
    get isLeader() {
      return inner.isLeader;
    },
    start(hooks: SyncCoordinatorHooks) {
      inner.start({
        ...hooks,
        onLeadershipChange(isLeader) {
          leader = isLeader;
          if (isLeader) for (const resolve of leaderWaiters.splice(0)) resolve();
          hooks.onLeadershipChange(isLeader);
        },
      });
    },
    requestSync: () => inner.requestSync(),
    publish: (collections) => inner.publish(collections),
    close: () => inner.close(),
  };
}

function requireClient(): SyncClient {
  if (!client) throw new Error('call open() first');
  return client;
}

function toRecord(row: Record<string, unknown>): TabRecord {
  return {
    id: String(row['id']),
    title: String(row['title']),
    serverId: (row['serverId'] as string | null) ?? null,
    syncStatus: String(row['syncStatus']),
  };
}

window.tabsPage = {
  async open(name) {
    dbName = name;
    client = await createSyncClient({
      collections: [tabNotes],
      storage: indexedDbAdapter({ name }),
      transport: httpTransport({ url: '/sync' }), // relative, as in docs/multi-tab.md
      batchSize: 1,
      // Defaults on purpose: navigator.locks and BroadcastChannel of this page.
      coordinator: (coordinator = observed(webLocksCoordinator({ name }))),
    });
  },
  isLeader: () => coordinator?.isLeader === true,
  whenLeader: () =>
    leader ? Promise.resolve() : new Promise<void>((resolve) => leaderWaiters.push(resolve)),
  async lockState() {
    const state = await navigator.locks.query();
    const mine = (l: LockInfo) => l.name === `tidesync:leader:${dbName}`;
    return {
      held: (state.held ?? []).filter(mine).length,
      pending: (state.pending ?? []).filter(mine).length,
    };
  },
  async insert(title) {
    return (await requireClient().collection('notes').insert({ title })).id;
  },
  sync: () => requireClient().sync(),
  whenSynced(ids) {
    return new Promise((resolve) => {
      const stop = requireClient()
        .collection('notes')
        .subscribe({}, (rows) => {
          const records = rows.map((r) => toRecord(r as Record<string, unknown>));
          const done = ids.every((id) =>
            records.some((r) => r.id === id && r.syncStatus === 'synced'),
          );
          if (done) {
            stop();
            resolve(records);
          }
        });
    });
  },
  whenNothingPending() {
    const c = requireClient();
    if (c.status.pendingOps === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const stop = c.on('status', (status) => {
        if (status.pendingOps === 0) {
          stop();
          resolve();
        }
      });
    });
  },
  async pendingOps() {
    return (await requireClient().pendingOps()).length;
  },
};
