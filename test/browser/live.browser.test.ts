import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumStatus } from './harness.js';
import { addTodo, openWebTodo, todoTitles as titles, webTodoSuite } from './web-todo-page.js';

const chromium = chromiumStatus();
/** Set-up steps (load, first sync) get room on a loaded machine; the live step gets 1 s. */
const SETUP = { timeout: 20_000, interval: 50 };
const LIVE = { timeout: 1_000, interval: 20 };

describe.skipIf(chromium.skip)('live sync in headless Chromium (web-todo)', () => {
  const app = webTodoSuite(chromium, 'tidesync-live-browser-');

  const openApp = (context: BrowserContext) => openWebTodo(context, app.server.url);

  const live = (page: Page) =>
    page.evaluate(
      () =>
        (window as unknown as { todoClient: { status: { live: string } } }).todoClient.status.live,
    );

  it('shows a change made in another browser context within one second, with no action', async () => {
    const laptop = await app.browser.newContext();
    const phone = await app.browser.newContext();
    const { page: a, errors: laptopErrors } = await openApp(laptop);
    const { page: b, errors: phoneErrors } = await openApp(phone);
    await expect.poll(() => live(a), SETUP).toBe('connected');
    await expect.poll(() => live(b), SETUP).toBe('connected');

    await addTodo(a, 'Call the plumber');
    // Nothing is clicked, focused or reloaded on the phone: only the live stream can bring it.
    await expect.poll(() => titles(b), LIVE).toEqual(['Call the plumber']);

    // And the other way round, for an edit of the same record.
    const item = b.getByTestId('todo').filter({ hasText: 'Call the plumber' });
    await item.getByRole('button', { name: 'Edit' }).click();
    await b.getByLabel('Edit Call the plumber').fill('Call the electrician');
    await b.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => titles(a), LIVE).toEqual(['Call the electrician']);

    expect(laptopErrors).toEqual([]);
    expect(phoneErrors).toEqual([]);
    await laptop.close();
    await phone.close();
  });

  it('shows a change made in another tab of the same browser within one second', async () => {
    const context = await app.browser.newContext();
    const { page: first } = await openApp(context);
    const { page: second } = await openApp(context);
    // One tab leads (it holds the stream); the other follows and hears from the leader.
    await expect
      .poll(async () => [await live(first), await live(second)].sort(), SETUP)
      .toEqual(['connected', 'off']);
    const before = await titles(second);
    await addTodo(first, 'Water the plants');
    await expect.poll(() => titles(second), LIVE).toEqual([...before, 'Water the plants'].sort());
    await context.close();
  });
});
