import { describe, expect, it } from 'vitest';
import type { OpenedPage } from './harness.js';
import { chromiumStatus, pageApi } from './harness.js';
import { pageSuite } from './page-suite.js';
import type { TabsPageApi } from './pages/tabs-page.js';
import { tabNotes } from './tabs-collection.js';
import { tabsSyncServer, type TabsSyncServer } from './tabs-server.js';

// In CI (CI=true) a missing Chromium is not skipped: startBrowserHarness throws its reason.
const chromium = chromiumStatus();

const api = (opened: OpenedPage) => pageApi<TabsPageApi>(opened, 'tabsPage');

describe.skipIf(chromium.skip)('two tabs on one IndexedDB database in headless Chromium', () => {
  let sync: TabsSyncServer;
  const suite = pageSuite(chromium, {
    page: 'test/browser/pages/tabs-page.ts',
    global: 'tabsPage',
    handler: () => {
      sync = tabsSyncServer([tabNotes]);
      return sync.handler;
    },
  });

  async function openTab(context: OpenedPage['context'], db: string): Promise<OpenedPage> {
    const opened = await suite.open(context);
    await api(opened).call('open', db);
    return opened;
  }

  it('one tab syncs for both, the other sees the synced state, and closing the leader hands over', async () => {
    const context = await suite.harness.newContext();
    const db = `tabs-${Date.now()}`;

    // First tab: nothing else holds the lock, so it leads.
    const first = await openTab(context, db);
    await api(first).call('whenLeader');
    const second = await openTab(context, db);
    expect(await api(first).call('isLeader')).toBe(true);
    expect(await api(second).call('isLeader')).toBe(false);
    expect((await api(second).call('lockState')).held).toBe(1);

    // Writes in both tabs; the follower's sync() is handed to the leader.
    const ids = [
      await api(first).call('insert', 'first-1'),
      await api(second).call('insert', 'second-1'),
      await api(second).call('insert', 'second-2'),
      await api(first).call('insert', 'first-2'),
    ];
    const delegated = await api(second).call('sync');
    expect(delegated.delegated).toBe(true);
    const onServer = await sync.whenRecords(4);
    expect(onServer.map((r) => r.id).sort()).toEqual([...ids].sort());

    // The follower reads the leader's results from the shared database, told by the channel.
    const seen = await api(second).call('whenSynced', ids);
    for (const id of ids) {
      expect(seen.find((r) => r.id === id)).toMatchObject({ syncStatus: 'synced', serverId: id });
    }
    await api(second).call('whenNothingPending');
    expect(await api(second).call('pendingOps')).toBe(0);

    // A write in the follower that nobody asks to sync yet, then the leader's tab closes.
    const leftBehind = await api(second).call('insert', 'second-3');
    await first.page.close();
    await api(second).call('whenLeader');
    expect(await api(second).call('isLeader')).toBe(true);
    await sync.whenRecords(5);
    expect((await api(second).call('whenSynced', [leftBehind])).length).toBe(5);

    // The new leader syncs its own writes itself.
    const later = await api(second).call('insert', 'second-4');
    const own = await api(second).call('sync');
    expect(own).toMatchObject({ delegated: false, pushed: 1 });
    expect((await sync.records()).map((r) => r.id)).toContain(later);

    // Each op reached the server exactly once, one push at a time.
    expect(sync.pushedOpIds).toHaveLength(6);
    expect(new Set(sync.pushedOpIds).size).toBe(6);
    expect(sync.maxPushesInFlight()).toBe(1);
    expect(await sync.appliedWrites()).toBe(6);
    expect(second.errors).toEqual([]);
  });
});
