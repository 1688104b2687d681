// The set-up every page-module browser suite shares: one bundled page at `/`, a harness
// started before all tests and closed after them, and a way to open the page once it is ready.
import { basename } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type {
  BrowserHarness,
  BrowserHarnessOptions,
  ChromiumStatus,
  OpenedPage,
} from './harness.js';
import { modulePage, startBrowserHarness, waitForGlobal } from './harness.js';

/** What a {@link pageSuite} serves. */
export interface PageSuiteOptions {
  /** The page module, a TS file such as `test/browser/pages/tabs-page.ts`, served at `/`. */
  readonly page: string;
  /** The `window` global the page sets when it is ready. */
  readonly global: string;
  /** Called in `beforeAll`, before the harness starts: a handler for other requests. */
  readonly handler?: () => BrowserHarnessOptions['handler'];
}

/** The harness of one suite (set in its `beforeAll`) and its page opener. */
export interface PageSuite {
  readonly harness: BrowserHarness;
  /** Opens the page in `context` (@default a new one) and waits until it is ready. */
  open(context?: OpenedPage['context']): Promise<OpenedPage>;
}

/** For the calling `describe`: serves `options.page` at `/` in headless Chromium. */
export function pageSuite(chromium: ChromiumStatus, options: PageSuiteOptions): PageSuite {
  const script = `/${basename(options.page, '.ts')}.js`;
  let harness: BrowserHarness | undefined;
  beforeAll(async () => {
    const handler = options.handler?.();
    harness = await startBrowserHarness({
      chromium,
      scripts: { [script]: options.page },
      files: { '/': modulePage(script) },
      ...(handler ? { handler } : {}),
    });
  });
  afterAll(async () => {
    await harness?.close();
  });
  const started = (): BrowserHarness => {
    if (!harness) throw new Error('pageSuite: the harness starts in beforeAll');
    return harness;
  };
  return {
    get harness() {
      return started();
    },
    async open(context) {
      const opened = await started().openPage('/', context);
      await waitForGlobal(opened, options.global);
      return opened;
    },
  };
}
