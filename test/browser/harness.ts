/**
 * Reusable pieces for tests that run tidesync in a real headless Chromium: bundle a TypeScript
 * page script with esbuild, serve it (and anything else) from a throwaway HTTP server on
 * 127.0.0.1, launch Chromium with CI-safe flags, open contexts and pages, and clean up.
 *
 * @example
 * const harness = await startBrowserHarness({
 *   scripts: { '/page.js': 'test/browser/pages/indexeddb-page.ts' },
 *   files: { '/': modulePage('/page.js') },
 * });
 * const { page } = await harness.openPage('/');
 * await waitForGlobal(page, 'tidesyncPage');
 * await harness.close();
 */
import { accessSync, constants } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { bundleEntry } from './bundle-entry.js';
import type { ServeStaticOptions, StaticFile } from './static-server.js';
import { JS_TYPE, serveStatic } from './static-server.js';

export { REPO_ROOT, bundleEntry } from './bundle-entry.js';
export { modulePage, serveStatic } from './static-server.js';
export type { ServeStaticOptions, StaticFile } from './static-server.js';

/** Chromium flags for headless runs in containers and CI: no sandbox, GPU or background traffic. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/** Where Chromium is expected and whether the browser suites may run, skip, or must fail. */
export interface ChromiumStatus {
  /** `TIDESYNC_CHROMIUM`, else `/usr/bin/chromium`. */
  readonly executablePath: string;
  /** The executable exists and is executable. */
  readonly available: boolean;
  /** True when the suite should be skipped: Chromium missing and not in CI. In CI it fails. */
  readonly skip: boolean;
  /** Human-readable reason, printed when skipping and thrown when failing. */
  readonly reason: string;
}

/** Finds Chromium. Call once at the top of a browser test file to decide on `describe.skipIf`. */
export function chromiumStatus(env: NodeJS.ProcessEnv = process.env): ChromiumStatus {
  const executablePath = env['TIDESYNC_CHROMIUM'] ?? '/usr/bin/chromium';
  let available = true;
  try {
    accessSync(executablePath, constants.X_OK);
  } catch {
    available = false;
  }
  const ci = env['CI'] === 'true' || env['CI'] === '1';
  const reason = available
    ? `Chromium found at ${executablePath}`
    : `Chromium not found at ${executablePath}. Install it (bash scripts/install-chromium.sh) ` +
      'or set TIDESYNC_CHROMIUM to its path.' +
      (ci ? ' CI=true: browser suites must run, so this fails.' : ' Skipping browser tests.');
  if (!available && !ci) console.warn(`[browser tests] ${reason}`);
  return { executablePath, available, skip: !available && !ci, reason };
}

/**
 * Launches headless Chromium with {@link CHROMIUM_ARGS}.
 * @throws Error with the install hint when the executable is missing (always, also in CI).
 */
export async function launchChromium(status: ChromiumStatus = chromiumStatus()): Promise<Browser> {
  if (!status.available) throw new Error(status.reason);
  return chromium.launch({ executablePath: status.executablePath, args: [...CHROMIUM_ARGS] });
}

/** Options of {@link startBrowserHarness}; `staticDir` and `handler` go to the server. */
export interface BrowserHarnessOptions extends ServeStaticOptions {
  /** Page scripts to bundle: URL path (such as `/page.js`) to a TS entry file. */
  readonly scripts?: Readonly<Record<string, string>>;
  /** Files served from memory: URL path to content. */
  readonly files?: Readonly<Record<string, StaticFile>>;
  /** Where Chromium is; @default chromiumStatus() */
  readonly chromium?: ChromiumStatus;
}

/** A page opened by {@link BrowserHarness.openPage}, with the errors it logged. */
export interface OpenedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Uncaught page errors and `console.error` lines, for assertion messages. */
  readonly errors: string[];
}

/** A running server plus browser; {@link BrowserHarness.close} tears both down. */
export interface BrowserHarness {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly baseUrl: string;
  readonly browser: Browser;
  /** A fresh browser context: its own storage (IndexedDB), like a separate browser profile. */
  newContext(): Promise<BrowserContext>;
  /**
   * Opens `path` in a new page. Pages opened in the same `context` share storage like two
   * tabs of one browser. @default a new context per call
   */
  openPage(path: string, context?: BrowserContext): Promise<OpenedPage>;
  /** Closes every context, the browser and the server. Idempotent. */
  close(): Promise<void>;
}

/**
 * Bundles `scripts`, starts the server and launches Chromium. Call in `beforeAll`; call
 * `close()` in `afterAll`. If anything fails half-way, what was started is shut down.
 */
export async function startBrowserHarness(
  options: BrowserHarnessOptions = {},
): Promise<BrowserHarness> {
  const files: Record<string, StaticFile> = { ...options.files };
  for (const [path, entry] of Object.entries(options.scripts ?? {})) {
    files[path] = { body: await bundleEntry(entry), contentType: JS_TYPE };
  }
  const server = await serveStatic(files, options);
  let browser: Browser;
  try {
    browser = await launchChromium(options.chromium);
  } catch (error) {
    await server.close();
    throw error;
  }
  const contexts = new Set<BrowserContext>();
  let closing: Promise<void> | undefined;
  const newContext = async (): Promise<BrowserContext> => {
    const context = await browser.newContext();
    contexts.add(context);
    context.once('close', () => contexts.delete(context));
    return context;
  };
  return {
    baseUrl: server.baseUrl,
    browser,
    newContext,
    async openPage(path, context) {
      const ctx = context ?? (await newContext());
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(`pageerror: ${error.stack ?? error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
      });
      await page.goto(`${server.baseUrl}${path}`);
      return { page, context: ctx, errors };
    },
    close() {
      closing ??= (async () => {
        for (const context of [...contexts]) await context.close().catch(() => undefined);
        await browser.close().catch(() => undefined);
        await server.close();
      })();
      return closing;
    },
  };
}

/**
 * Waits until the page script has set `window[name]` (pages announce readiness that way) and
 * fails with the page's own errors when it does not happen within `timeoutMs`.
 */
export async function waitForGlobal(
  opened: OpenedPage | Page,
  name: string,
  timeoutMs = 15_000,
): Promise<void> {
  const page = 'page' in opened ? opened.page : opened;
  try {
    await page.waitForFunction((key) => key in window, name, { timeout: timeoutMs });
  } catch (error) {
    const errors = 'errors' in opened ? opened.errors : [];
    throw new Error(
      `window.${name} never appeared. Page errors:\n${errors.join('\n') || '(none)'}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Limits the storage quota of the page's origin through the Chrome DevTools Protocol
 * (`Storage.overrideQuotaForOrigin`), so quota errors can be tested for real. The override
 * lives as long as its CDP session: call `restore()` to lift it and detach.
 */
export async function overrideQuota(
  page: Page,
  quotaBytes: number,
): Promise<{ restore(): Promise<void> }> {
  const session = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  await session.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: quotaBytes });
  return {
    async restore() {
      await session.send('Storage.overrideQuotaForOrigin', { origin });
      await session.detach();
    },
  };
}

/** Typed calls into functions a page script put on `window[globalName]`. */
export interface PageApiClient<Api> {
  /**
   * Calls `window[globalName][method](...args)` in the page and resolves with its awaited,
   * structured-cloned result. Arguments and results must be serialisable.
   */
  call<K extends keyof Api & string>(
    method: K,
    ...args: Api[K] extends (...params: infer P) => unknown ? P : never
  ): Promise<Api[K] extends (...params: never[]) => infer R ? Awaited<R> : never>;
}

/**
 * A typed client for the functions a page script exposes on `window[globalName]`.
 * @example
 * const api = pageApi<IndexedDbPageApi>(opened, 'tidesyncPage');
 * const results = await api.call('runConformance');
 */
export function pageApi<Api>(opened: OpenedPage | Page, globalName: string): PageApiClient<Api> {
  const page = 'page' in opened ? opened.page : opened;
  return {
    call(method, ...args) {
      return page.evaluate(
        async ([name, key, params]) => {
          const api = (window as unknown as Record<string, unknown>)[name] as
            Record<string, unknown> | undefined;
          const fn = api?.[key];
          if (typeof fn !== 'function') throw new Error(`window.${name}.${key} is not a function`);
          return (await (fn as (...a: unknown[]) => unknown).apply(api, params)) as never;
        },
        [globalName, method, args as unknown[]] as const,
      );
    },
  };
}
