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
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, isAbsolute, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

/** Root of the repository, for resolving entry files given relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Public entry points, resolved to sources as vitest.config.ts does for Node tests. */
const TIDESYNC_ENTRIES: Readonly<Record<string, string>> = {
  tidesync: 'src/index.ts',
  'tidesync/adapters/memory': 'src/adapters/memory/index.ts',
  'tidesync/adapters/sqlite': 'src/adapters/sqlite/index.ts',
  'tidesync/adapters/indexeddb': 'src/adapters/indexeddb/index.ts',
  'tidesync/server': 'src/server/index.ts',
  'tidesync/testing': 'src/testing/index.ts',
  'tidesync/react': 'src/react/index.ts',
};

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

/** Resolves `tidesync` and `tidesync/...` imports in page scripts to the sources. */
const tidesyncSources: Plugin = {
  name: 'tidesync-sources',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^tidesync(\/.*)?$/ }, (args) => {
      const target = TIDESYNC_ENTRIES[args.path];
      if (!target) return { errors: [{ text: `Unknown tidesync entry point ${args.path}` }] };
      return { path: join(REPO_ROOT, target) };
    });
  },
};

/**
 * Bundles a TypeScript entry for the browser (ESM, one file, inline source map) and returns
 * the code. `tidesync/...` imports resolve to `src/`, like in Node tests.
 * @param entry - path of the entry file, absolute or relative to the repository root.
 */
export async function bundleEntry(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [isAbsolute(entry) ? entry : join(REPO_ROOT, entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
    plugins: [tidesyncSources],
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${entry}`);
  return output.text;
}

/** A file served from memory. A string body is served as HTML unless `contentType` says otherwise. */
export interface StaticFile {
  readonly body: string | Uint8Array;
  readonly contentType?: string;
}

/** A minimal HTML page that loads the given module scripts. */
export function modulePage(...scriptUrls: string[]): StaticFile {
  const tags = scriptUrls.map((src) => `<script type="module" src="${src}"></script>`).join('');
  return {
    body: `<!doctype html><html><head><meta charset="utf-8"><title>tidesync test</title>${tags}</head><body></body></html>`,
    contentType: 'text/html; charset=utf-8',
  };
}

/** Options of {@link startBrowserHarness}. */
export interface BrowserHarnessOptions {
  /** Page scripts to bundle: URL path (such as `/page.js`) to a TS entry file. */
  readonly scripts?: Readonly<Record<string, string>>;
  /** Files served from memory: URL path to content. */
  readonly files?: Readonly<Record<string, StaticFile>>;
  /** A directory served for paths not in `scripts` or `files` (for a built example app). */
  readonly staticDir?: string;
  /**
   * Tried before everything else, for example to mount a sync server's `nodeHandler` under
   * `/sync`. Return true when it handled the request.
   */
  readonly handler?: (
    request: IncomingMessage,
    response: ServerResponse,
  ) => boolean | Promise<boolean>;
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

const JS_TYPE = 'text/javascript; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': HTML_TYPE,
  '.js': JS_TYPE,
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves files from memory, a directory, and a custom handler on 127.0.0.1, on a free port. */
export async function serveStatic(
  files: Readonly<Record<string, StaticFile>>,
  options: Pick<BrowserHarnessOptions, 'staticDir' | 'handler'> = {},
): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    void respond(request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  const respond = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (options.handler && (await options.handler(request, response))) return;
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const file = files[path];
    if (file) {
      response.setHeader('content-type', file.contentType ?? HTML_TYPE);
      response.setHeader('cache-control', 'no-store');
      response.end(file.body);
      return;
    }
    if (options.staticDir) {
      const root = resolve(options.staticDir);
      const target = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
      if (target.startsWith(root)) {
        try {
          const body = await readFile(target);
          response.setHeader(
            'content-type',
            CONTENT_TYPES[extname(target)] ?? 'application/octet-stream',
          );
          response.end(body);
          return;
        } catch {
          // Fall through to 404.
        }
      }
    }
    // Browsers ask for a favicon on every page; answer so it does not log a 404 error.
    response.statusCode = path === '/favicon.ico' ? 204 : 404;
    response.end(path === '/favicon.ico' ? undefined : `not found: ${path}`);
  };
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ready());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      });
      return closed;
    },
  };
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
