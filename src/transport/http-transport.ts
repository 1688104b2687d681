import type { RequestKind, Transport, TransportSendOptions } from '../core/index.js';
import { NetworkError, ProtocolError, TidesyncError, describeValue } from '../core/index.js';
import { openHttpStream } from './http-stream.js';

/** Headers to send, or a function that returns them (for example with a fresh token). */
export type HeadersOption =
  Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);

/** Options of {@link httpTransport}. */
export interface HttpTransportOptions {
  /** Mount URL of the sync server (`https://api.example.com/sync`); requests go to `<url>/push`, `<url>/pull`, `<url>/get`. */
  readonly url: string;
  /** Extra headers, such as `authorization`. */
  readonly headers?: HeadersOption;
  /** `fetch` to use. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Called once after a 401, before one retry: refresh the token here. */
  readonly onUnauthorized?: () => void | Promise<void>;
  /** Largest response body accepted. @default 64 MiB */
  readonly maxResponseBytes?: number;
  /** Largest single event accepted on the live stream (`liveTrigger()`). @default 65536 */
  readonly maxStreamEventBytes?: number;
}

/**
 * Transport over HTTP(S) to a tidesync server mounted at `url`.
 *
 * @example
 * httpTransport({ url: 'https://api.example.com/sync', headers: async () => ({ authorization: `Bearer ${await getToken()}` }) });
 * @throws TidesyncError `INVALID_OPTION` when `url` is not an absolute http(s) URL or no `fetch` exists.
 */
export function httpTransport(options: HttpTransportOptions): Transport {
  let base: URL;
  try {
    base = new URL(options?.url);
  } catch {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`url\` to be an absolute http(s) URL, got ${describeValue(options?.url)}.`,
    );
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`url\` to use http or https, got ${describeValue(options.url)}.`,
    );
  }
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
  const root = base.href.replace(/\/+$/, '');
  const maxBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;

  async function once(
    kind: RequestKind,
    body: string,
    sendOptions: TransportSendOptions | undefined,
  ): Promise<Response> {
    const extra =
      typeof options.headers === 'function' ? await options.headers() : (options.headers ?? {});
    try {
      return await fetchFn(`${root}/${kind}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...extra },
        body,
        ...(sendOptions?.signal ? { signal: sendOptions.signal } : {}),
      });
    } catch (error) {
      throw new NetworkError(
        'NETWORK_UNAVAILABLE',
        `Could not reach the sync server at ${root}: ${(error as Error)?.message ?? String(error)}. The outbox is kept; sync will retry.`,
        {
          retryable: true,
          cause: error,
        },
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
    openStream: (kind, payload, streamOptions) =>
      openHttpStream(streamTarget, kind, payload, streamOptions),
    async send(kind, payload, sendOptions) {
      const body = JSON.stringify(payload);
      // The caller's signal lives as long as the client; fetch would leave one abort listener
      // on it per request. A signal of this request's own, linked until it ends, does not.
      const parent = sendOptions?.signal;
      const request = parent ? new AbortController() : undefined;
      const onAbort = () => request?.abort(parent?.reason);
      if (parent?.aborted) onAbort();
      else parent?.addEventListener('abort', onAbort, { once: true });
      const own = request ? { signal: request.signal } : undefined;
      try {
        let response: Response;
        try {
          response = await once(kind, body, own);
        } catch (error) {
          // A kept-alive socket the server closed while idle fails the first write on it.
          // Every sync request is idempotent (pushes are replayed by op id): one retry is safe.
          if (!isStaleSocket(error) || request?.signal.aborted) throw error;
          response = await once(kind, body, own);
        }
        if (response.status === 401 && options.onUnauthorized) {
          await options.onUnauthorized();
          response = await once(kind, body, own);
        }
        return await readResponse(response, root, maxBytes);
      } finally {
        parent?.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** Parses a server response into JSON, mapping HTTP failures to typed errors. */
export async function readResponse(
  response: Response,
  root: string,
  maxBytes: number,
): Promise<unknown> {
  const status = response.status;
  if (status === 401) {
    throw new NetworkError(
      'UNAUTHORIZED',
      `The sync server at ${root} answered 401. Check the credentials in \`headers\` or refresh them in \`onUnauthorized\`.`,
      {
        retryable: false,
        status,
      },
    );
  }
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    await response.body?.cancel().catch(() => undefined);
    throw new NetworkError(
      'SERVER_ERROR',
      `The sync server at ${root} answered ${status}. The outbox is kept; sync will retry.`,
      {
        retryable: true,
        status,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      },
    );
  }
  const text = await response.text();
  if (text.length > maxBytes) {
    throw new ProtocolError(
      `The sync server's response is ${text.length} bytes, over the ${maxBytes}-byte limit. Nothing was stored.`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ProtocolError(
      `The sync server at ${root} answered ${status} with a body that is not JSON (${describeValue(text.slice(0, 40))}). Nothing was stored.`,
      { cause: error },
    );
  }
}

/** Reads a `Retry-After` header (seconds or an HTTP date) as milliseconds. */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
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
