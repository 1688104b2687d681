// The local upgrade at open in real headless Chromium: a version-1 app's IndexedDB data and
// queued ops are migrated to version 3 when the updated app opens it after a reload.
import { describe, expect, it } from 'vitest';
import { chromiumStatus, pageApi, waitForGlobal } from './harness.js';
import { pageSuite } from './page-suite.js';
import type { SchemaUpgradePageApi } from './pages/schema-upgrade-page.js';

const chromium = chromiumStatus();

describe.skipIf(chromium.skip)('schema upgrade at open on IndexedDB in headless Chromium', () => {
  const suite = pageSuite(chromium, {
    page: 'test/browser/pages/schema-upgrade-page.ts',
    global: 'schemaUpgradePage',
  });

  it('migrates records and queued ops written by the version-1 app, after a reload', async () => {
    const opened = await suite.open();
    const api = pageApi<SchemaUpgradePageApi>(opened, 'schemaUpgradePage');
    await api.call('writeVersion1', 'upgrade-app');
    await opened.page.reload();
    await waitForGlobal(opened, 'schemaUpgradePage');
    const state = await api.call('openVersion3', 'upgrade-app');
    expect(state.rows).toEqual([
      { name: 'a', done: false, priority: 0, syncStatus: 'pending' },
      { name: 'b', done: true, priority: 0, syncStatus: 'pending' },
    ]);
    expect(state.opData).toEqual([
      { name: 'a', done: false, priority: 0 },
      { name: 'b', done: true, priority: 0 },
    ]);
    expect(state.versions).toEqual({ todos: 3 });
    expect(opened.errors).toEqual([]);
  });
});
