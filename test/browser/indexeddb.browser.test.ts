import { describe, expect, it } from 'vitest';
import type { OpenedPage } from './harness.js';
import { pageApi, chromiumStatus, overrideQuota, waitForGlobal } from './harness.js';
import { pageSuite } from './page-suite.js';
import type { IndexedDbPageApi } from './pages/indexeddb-page.js';

const chromium = chromiumStatus();

const api = (opened: OpenedPage) => pageApi<IndexedDbPageApi>(opened, 'tidesyncPage');

describe.skipIf(chromium.skip)('IndexedDB adapter in headless Chromium', () => {
  const suite = pageSuite(chromium, {
    page: 'test/browser/pages/indexeddb-page.ts',
    global: 'tidesyncPage',
  });
  const openApp = (context?: OpenedPage['context']) => suite.open(context);

  it('passes every storage conformance case against the browser’s own indexedDB', async () => {
    const opened = await openApp();
    const results = await api(opened).call('runConformance');
    expect(results.length).toBeGreaterThan(10);
    const failed = results.filter((r) => !r.ok).map((r) => `${r.name}\n${r.error ?? ''}`);
    expect(failed, `failed in Chromium:\n${failed.join('\n\n')}`).toEqual([]);
    expect(await opened.page.evaluate(() => window.conformanceResults?.length)).toBe(
      results.length,
    );
    expect(opened.errors).toEqual([]);
  });

  it('keeps written data across a page reload and in a second tab of the same profile', async () => {
    const opened = await openApp();
    await api(opened).call('writeSample', 'persist');
    await opened.page.reload();
    await waitForGlobal(opened, 'tidesyncPage');
    const afterReload = await api(opened).call('readSample', 'persist');
    expect(afterReload.record?.data).toEqual({ title: 'persisted', n: [1, 2] });
    expect(afterReload.opIds).toEqual(['op1']);
    expect(afterReload.cursor).toEqual({ page: 7 });

    const secondTab = await openApp(opened.context);
    expect((await api(secondTab).call('readSample', 'persist')).record?.id).toBe('r1');
    // A fresh profile (another context) does not see it: the data really lives in the profile.
    const otherProfile = await openApp();
    expect(await api(otherProfile).call('readSample', 'persist')).toEqual({
      opIds: [],
      cursor: undefined,
    });
  });

  it('rejects with TRANSACTION_INACTIVE and writes nothing when a transaction awaits a timer', async () => {
    const opened = await openApp();
    const result = await api(opened).call('awaitTimerInTransaction', 'auto-commit');
    expect(result).toMatchObject({
      name: 'StorageError',
      code: 'TRANSACTION_INACTIVE',
      recordIds: [],
      opIds: [],
      cursor: undefined,
    });
    expect(result.message).toMatch(/do not await network or timers/i);
  });

  it('rejects with STORAGE_QUOTA_EXCEEDED and keeps nothing partial when the origin runs out of quota', async () => {
    const opened = await openApp();
    const quota = await overrideQuota(opened.page, 512 * 1024);
    try {
      const result = await api(opened).call('writeTooMuch', 'quota', 4 * 1024 * 1024);
      expect(result).toMatchObject({
        name: 'StorageError',
        code: 'STORAGE_QUOTA_EXCEEDED',
        recordIds: ['small'],
        opIds: [],
        cursor: 'c1',
      });
    } finally {
      await quota.restore();
    }
  });
});
