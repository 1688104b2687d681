// Driving the examples/web-todo page in Chromium: shared by the example's own browser test and
// the live-sync browser test.
import type { BrowserContext, Page } from 'playwright-core';

/** Opens the app at `url` in `context`, waits until it rendered, and collects page errors. */
export async function openWebTodo(
  context: BrowserContext,
  url: string,
): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${url}/`);
  await page.getByTestId('sync-status').waitFor();
  return { page, errors };
}

/** The todo titles the page shows, in display order. */
export const todoTitles = (page: Page): Promise<string[]> =>
  page.getByTestId('todo-title').allTextContents();

/** Adds a todo through the form and waits until it is listed. */
export async function addTodo(page: Page, title: string): Promise<void> {
  await page.getByLabel('New todo').fill(title);
  await page.getByRole('button', { name: 'Add' }).click();
  await page
    .getByTestId('todo-title')
    .filter({ hasText: new RegExp(`^${title}$`) })
    .waitFor();
}
