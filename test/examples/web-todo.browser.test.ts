import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSyncClient, defineCollection, httpTransport, manual } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { chromiumStatus } from '../browser/harness.js';
import {
  addTodo,
  openWebTodo,
  todoTitles as titles,
  webTodoSuite,
} from '../browser/web-todo-page.js';
import { REPO_ROOT } from './run-example.js';

const chromium = chromiumStatus();

/** Room for a loaded CI machine: `expect.poll` gives up after 1 s by default. */
const POLL = { timeout: 20_000, interval: 50 };
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'web-todo');

describe.skipIf(chromium.skip)('examples/web-todo in headless Chromium', () => {
  const app = webTodoSuite(chromium, 'tidesync-web-todo-');
  beforeAll(() => {
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  /** Opens the app in `context` and waits until it rendered and its service worker controls it. */
  async function openApp(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
    const opened = await openWebTodo(context, app.server.url);
    await opened.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    return opened;
  }

  const status = (page: Page) => page.getByTestId('sync-status');
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  async function renameTodo(page: Page, from: string, to: string): Promise<void> {
    const item = page.getByTestId('todo').filter({ hasText: from });
    await item.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel(`Edit ${from}`).fill(to);
    await page.getByRole('button', { name: 'Save' }).click();
    await page
      .getByTestId('todo-title')
      .filter({ hasText: new RegExp(`^${to}$`) })
      .waitFor();
  }

  /** What the server holds, read by a fresh Node client over HTTP. */
  async function serverTodos(): Promise<{ title: string; done: boolean }[]> {
    const todos = defineCollection({
      name: 'todos',
      schema: z.object({ title: z.string(), done: z.boolean() }),
      conflict: manual(),
    });
    const client = await createSyncClient({
      collections: [todos],
      storage: memoryAdapter(),
      transport: httpTransport({ url: `${app.server.url}/sync` }),
    });
    try {
      await client.sync();
      const rows = await client.collection<{ title: string; done: boolean }>('todos').find({
        orderBy: [['title', 'asc']],
      });
      return rows.map(({ title, done }) => ({ title, done }));
    } finally {
      await client.close();
    }
  }

  it('works offline, survives a reload, syncs when back online, and resolves a conflict', async () => {
    const laptop = await app.browser.newContext();
    const { page: a, errors } = await openApp(laptop);
    await expect.poll(() => status(a).getAttribute('data-state'), POLL).toBe('synced');

    // Offline: add and edit; everything is saved locally and waits in the outbox.
    await laptop.setOffline(true);
    await expect.poll(() => status(a).getAttribute('data-state'), POLL).toBe('offline');
    await addTodo(a, 'Buy milk');
    await addTodo(a, 'Walk the dog');
    await renameTodo(a, 'Buy milk', 'Buy oat milk');
    // The checkbox is controlled by the live query, so it flips after the local commit.
    await a.getByLabel('Done: Walk the dog').click();
    await expect.poll(() => a.getByLabel('Done: Walk the dog').isChecked(), POLL).toBe(true);
    await expect
      .poll(() => status(a).textContent(), POLL)
      .toMatch(/^Offline · [1-9]\d* changes? waiting$/);
    await shot(a, '1-offline-edits');

    // Reload while offline: the service worker serves the app, IndexedDB still has the data.
    await a.reload();
    await status(a).waitFor();
    await expect.poll(() => titles(a), POLL).toEqual(['Buy oat milk', 'Walk the dog']);
    expect(await status(a).getAttribute('data-state')).toBe('offline');
    expect(await a.getByTestId('todo').first().getAttribute('data-sync')).toBe('pending');
    await shot(a, '2-reloaded-offline');
    expect(await serverTodos()).toEqual([]);

    // Online again: the online trigger syncs, and the server has both todos.
    await laptop.setOffline(false);
    await expect.poll(() => status(a).getAttribute('data-state'), POLL).toBe('synced');
    expect(await serverTodos()).toEqual([
      { title: 'Buy oat milk', done: false },
      { title: 'Walk the dog', done: true },
    ]);
    await shot(a, '3-synced');

    // A second device (its own profile) pulls them, and edits one while the laptop is offline.
    const phone = await app.browser.newContext();
    const { page: b, errors: phoneErrors } = await openApp(phone);
    await expect.poll(() => titles(b), POLL).toEqual(['Buy oat milk', 'Walk the dog']);
    await laptop.setOffline(true);
    await expect.poll(() => status(a).getAttribute('data-state'), POLL).toBe('offline');
    await renameTodo(b, 'Buy oat milk', 'Buy soy milk');
    await expect.poll(() => status(b).getAttribute('data-state'), POLL).toBe('synced');
    await renameTodo(a, 'Buy oat milk', 'Buy almond milk');

    // The laptop comes back: its edit conflicts, and the panel shows both versions.
    await laptop.setOffline(false);
    const panel = a.getByTestId('conflict-panel');
    await panel.waitFor({ timeout: 20_000 });
    await expect.poll(() => status(a).getAttribute('data-state'), POLL).toBe('conflict');
    expect(await panel.getByTestId('version-local').textContent()).toContain('Buy almond milk');
    expect(await panel.getByTestId('version-remote').textContent()).toContain('Buy soy milk');
    await shot(a, '4-conflict-panel');

    await panel.getByRole('button', { name: 'Keep this device’s' }).click();
    await panel.waitFor({ state: 'detached' });
    await expect.poll(() => status(a).getAttribute('data-state'), POLL).toBe('synced');
    expect(await serverTodos()).toEqual([
      { title: 'Buy almond milk', done: false },
      { title: 'Walk the dog', done: true },
    ]);
    await shot(a, '5-resolved');

    // The phone picks up the choice.
    await b.getByRole('button', { name: 'Sync now' }).click();
    await expect.poll(() => titles(b), POLL).toEqual(['Buy almond milk', 'Walk the dog']);
    await shot(b, '6-phone-after-resolution');

    expect(errors).toEqual([]);
    expect(phoneErrors).toEqual([]);
    await laptop.close();
    await phone.close();
  });
});
