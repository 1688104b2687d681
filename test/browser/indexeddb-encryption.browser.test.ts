// Encrypted IndexedDB in real headless Chromium: conformance with the key set, raw object
// stores without plaintext, a non-extractable key kept in IndexedDB across a reload, a wrong
// key, and a rotation cut short by closing the tab (the browser aborts its transaction).
import { describe, expect, it } from 'vitest';
import type { OpenedPage } from './harness.js';
import { chromiumStatus, pageApi, waitForGlobal } from './harness.js';
import { pageSuite } from './page-suite.js';
import type { EncryptedIndexedDbPageApi } from './pages/encrypted-indexeddb-page.js';

const chromium = chromiumStatus();
const api = (opened: OpenedPage) =>
  pageApi<EncryptedIndexedDbPageApi>(opened, 'tidesyncCryptoPage');

describe.skipIf(chromium.skip)('encrypted IndexedDB adapter in headless Chromium', () => {
  const suite = pageSuite(chromium, {
    page: 'test/browser/pages/encrypted-indexeddb-page.ts',
    global: 'tidesyncCryptoPage',
  });
  const openApp = (context?: OpenedPage['context']) => suite.open(context);

  it('passes every storage conformance case with an encryptionKey', async () => {
    const opened = await openApp();
    const results = await api(opened).call('runConformance');
    expect(results.length).toBeGreaterThan(10);
    const failed = results.filter((r) => !r.ok).map((r) => `${r.name}\n${r.error ?? ''}`);
    expect(failed, `failed in Chromium:\n${failed.join('\n\n')}`).toEqual([]);
    expect(opened.errors).toEqual([]);
  });

  it('keeps no plaintext in the raw object stores; the key, kept non-extractable in IndexedDB, reads it after a reload', async () => {
    const opened = await openApp();
    await api(opened).call('writeSecret', 'clinic', 'alice-key', 'blood-type-secret');
    const raw = await api(opened).call('rawDump', 'clinic');
    expect(raw).toContain('"id":"r1"');
    expect(raw).not.toContain('blood-type-secret');
    await opened.page.reload();
    await waitForGlobal(opened, 'tidesyncCryptoPage');
    expect(await api(opened).call('readSecret', 'clinic', 'alice-key')).toBe('blood-type-secret');
    // Another key fails at open, never returning garbage or an empty database.
    expect(await api(opened).call('readSecret', 'clinic', 'mallory-key')).toBe(
      'STORAGE_KEY_INVALID',
    );
  });

  it('a rotation cut short by closing the tab leaves every row under the old key; a finished one under the new', async () => {
    const context = await suite.harness.newContext();
    const rows = 2000;
    const first = await openApp(context);
    await api(first).call('writeMany', 'rotating', 'old', rows, 2000);
    await api(first).call('startRotation', 'rotating', 'old', 'new');
    // The tab goes away while the rotation's transaction is still running.
    await first.page.close();
    const second = await openApp(context);
    const underOld = await api(second).call('countRows', 'rotating', 'old');
    const underNew = await api(second).call('countRows', 'rotating', 'new');
    expect([underOld, underNew].sort()).toEqual([rows, 'STORAGE_KEY_INVALID'].sort());
    expect(underOld).toBe(rows);

    // Rotating to the end in a tab that stays open moves everything to the new key.
    await api(second).call('startRotation', 'rotating', 'old', 'new');
    expect(await api(second).call('rotationOutcome')).toBe('rotated');
    expect(await api(second).call('countRows', 'rotating', 'new')).toBe(rows);
    expect(await api(second).call('countRows', 'rotating', 'old')).toBe('STORAGE_KEY_INVALID');
  });
});
