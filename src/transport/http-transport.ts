import type { RequestKind, Transport, TransportSendOptions } from '../core/index.js';
import { NetworkError, TidesyncError, describeValue, positiveInt } from '../core/index.js';
import type { HeadersOption } from './headers-option.js';
import { openHttpStream } from './http-stream.js';
import { readResponse } from './read-response.js';

export type { HeadersOption } from './headers-option.js';

/** Options of {@link httpTransport}. */
export interface HttpTransportOptions {
  /**
   * Mount URL of the sync server (`https://api.example.com/sync`); requests go to `<url>/push`,
   * `<url>/pull`, `<url>/get`. In a browser it may be relative (`'/sync'`): it is resolved
   * against `document.baseURI` (or `location.href` in a worker) when the transport is created.
   */
  readonly url: string;
  /** Extra headers, such as `authorization`. */
  readonly headers?: HeadersOption;
  /** `fetch` to use. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Called once after a 401, before one retry: refresh the token here. */
  readonly onUnauthorized?: () => void | Promise<void>;
  /**
   * Largest response body accepted, counted while it streams in: past it the request is
   * dropped with `RESPONSE_TOO_LARGE`. @default 67_108_864 (64 MiB)
   */
  readonly maxResponseBytes?: number;
  /**
   * Longest one request may take, answer body included. Past it the request is aborted and
   * fails as a retryable `NETWORK_UNAVAILABLE` error; the outbox is kept. @default 30_000
   */
  readonly timeoutMs?: number;
  /** Largest single event accepted on the live stream (`liveTrigger()`). @default 65536 */
  readonly maxStreamEventBytes?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Transport over HTTP(S) to a tidesync server mounted at `url`.
 *
 * @example
 * httpTransport({ url: 'https://api.example.com/sync', headers: async () => ({ authorization: `Bearer ${await getToken()}` }) });
 * @throws TidesyncError `INVALID_OPTION` when `url` is not an http(s) URL (or is relative with no
 * page to resolve it against), a limit is not a positive integer, or no `fetch` exists.
 */
export function httpTransport(options: HttpTransportOptions): Transport {
  const root = resolveMountUrl(options?.url);
  const doFetch =
    options.fetch ??
    (typeof globalThis.fetch === 'function' ? globalThis.fetch.bind(globalThis) : undefined);
  if (!doFetch) {
    throw new TidesyncError(
      'INVALID_OPTION',
      'No `fetch` is available here. Pass one with `httpTransport({ url, fetch })`.',
    );
  }
  const fetchFn: typeof fetch = doFetch;
  const maxBytes = positiveInt(
    'maxResponseBytes',
    options.maxResponseBytes,
    DEFAULT_MAX_RESPONSE_BYTES,
  );
  const timeoutMs = positiveInt('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS);

  async function once(kind: RequestKind, body: string, signal: AbortSignal): Promise<Response> {
    const extra =
      typeof options.headers === 'function' ? await options.headers() : (options.headers ?? {});
    try {
      return await fetchFn(`${root}/${kind}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...extra },
        body,
        signal,
      });
    } catch (error) {
      throw unreachable(root, String((error as Error)?.message ?? error), error);
    }
  }

  async function exchange(kind: RequestKind, body: string, signal: AbortSignal): Promise<unknown> {
    let response: Response;
    try {
      response = await once(kind, body, signal);
    } catch (error) {
      // A kept-alive socket the server closed while idle fails the first write on it.
      // Every sync request is idempotent (pushes are replayed by op id): one retry is safe.
      if (!isStaleSocket(error) || signal.aborted) throw error;
      response = await once(kind, body, signal);
    }
    if (response.status === 401 && options.onUnauthorized) {
      await response.body?.cancel().catch(() => undefined);
      await options.onUnauthorized();
      response = await once(kind, body, signal);
    }
    try {
      return await readResponse(response, root, maxBytes);
    } catch (error) {
      if (error instanceof TidesyncError) throw error;
      throw unreachable(
        root,
        `the answer broke off (${String((error as Error)?.message ?? error)})`,
        error,
      );
    }
  }

  const streamTarget = {
    fetch: fetchFn,
    root,
    headers: options.headers,
    onUnauthorized: options.onUnauthorized,
    maxEventBytes: options.maxStreamEventBytes ?? 65_536,
  };

  return {
    maxResponseBytes: maxBytes,
    openStream: (kind, payload, streamOptions) =>
      openHttpStream(streamTarget, kind, payload, streamOptions),
    async send(kind, payload, sendOptions?: TransportSendOptions) {
      const body = JSON.stringify(payload);
      // The caller's signal lives as long as the client; fetch would leave one abort listener
      // on it per request. A signal of this request's own, linked until it ends, does not; it
      // also carries the timeout.
      const parent = sendOptions?.signal;
      const request = new AbortController();
      const onAbort = () => request.abort(parent?.reason);
      if (parent?.aborted) onAbort();
      else parent?.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        request.abort(new Error(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      try {
        return await exchange(kind, body, request.signal);
      } catch (error) {
        if (!timedOut) throw error;
        throw unreachable(root, `no answer within ${timeoutMs} ms (\`timeoutMs\`)`, error);
      } finally {
        clearTimeout(timer);
        parent?.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** A retryable `NETWORK_UNAVAILABLE`: the request did not get a whole answer. */
function unreachable(root: string, why: string, cause: unknown): NetworkError {
  return new NetworkError(
    'NETWORK_UNAVAILABLE',
    `Could not reach the sync server at ${root}: ${why}. The outbox is kept; sync will retry.`,
    { retryable: true, cause },
  );
}

/** The page's base URL for a relative `url`, when there is a page (or a worker). */
function pageBase(): string | undefined {
  const g = globalThis as { document?: { baseURI?: unknown }; location?: { href?: unknown } };
  const base = g.document?.baseURI ?? g.location?.href;
  return typeof base === 'string' && base !== '' ? base : undefined;
}

/** The absolute mount URL without a trailing slash. @throws TidesyncError `INVALID_OPTION`. */
function resolveMountUrl(url: unknown): string {
  const base = pageBase();
  let resolved: URL | undefined;
  try {
    if (typeof url === 'string' && url !== '') resolved = new URL(url, base);
  } catch {
    // refused below
  }
  if (resolved?.protocol !== 'http:' && resolved?.protocol !== 'https:') {
    const hint =
      resolved || base
        ? ''
        : ' A relative URL needs a page (document.baseURI) to resolve against; outside a browser pass an absolute one.';
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`url\` to be an http(s) URL, got ${describeValue(url)}.${hint}`,
    );
  }
  return resolved.href.replace(/\/+$/, '');
}

/** True for the errors a reused keep-alive socket gives when the server already closed it. */
function isStaleSocket(error: unknown): boolean {
  const codes = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
  let cause: unknown = error;
  for (let depth = 0; depth < 4 && cause && typeof cause === 'object'; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && codes.has(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}
