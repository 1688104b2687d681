// The examples/web-todo app in Chromium (suite set-up, page steps): shared by the example's
// own browser test and the live-sync browser test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildWebTodo } from '../../examples/web-todo/build.js';
import type { WebTodoServer } from '../../examples/web-todo/server.js';
import { startWebTodoServer } from '../../examples/web-todo/server.js';
import type { ChromiumStatus } from './harness.js';
import { launchChromium } from './harness.js';

/** The web-todo server and Chromium of one suite (set in its `beforeAll`). */
export interface WebTodoSuite {
  readonly server: WebTodoServer;
  readonly browser: Browser;
}

/**
 * For the calling `describe`: builds examples/web-todo into a temp folder named from
 * `tmpPrefix`, serves it with its own SQLite file and launches Chromium before all tests, and
 * closes and removes them after.
 */
export function webTodoSuite(chromium: ChromiumStatus, tmpPrefix: string): WebTodoSuite {
  let dir: string | undefined;
  let server: WebTodoServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), tmpPrefix));
    const staticDir = await buildWebTodo(join(dir, 'dist'));
    server = await startWebTodoServer({ staticDir, dbPath: join(dir, 'server.db') });
    browser = await launchChromium(chromium);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get server() {
      if (!server) throw new Error('webTodoSuite: the server starts in beforeAll');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('webTodoSuite: Chromium starts in beforeAll');
      return browser;
    },
  };
}

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
