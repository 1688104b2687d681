import type { StreamEvent, StreamKind, TransportSendOptions } from '../core/index.js';
import { NetworkError, ProtocolError, SseParser } from '../core/index.js';
import type { HeadersOption } from './headers-option.js';
import { parseRetryAfter } from './read-response.js';

/** What {@link openHttpStream} shares with its `httpTransport`. */
export interface HttpStreamTarget {
  readonly fetch: typeof fetch;
  /** Mount URL without a trailing slash. */
  readonly root: string;
  readonly headers: HeadersOption | undefined;
  readonly onUnauthorized: (() => void | Promise<void>) | undefined;
  /** Largest single event accepted. */
  readonly maxEventBytes: number;
}

/**
 * Opens `<root>/<kind>` as a server-sent-events stream with `fetch` streaming (not
 * `EventSource`, so the app's headers, such as `authorization`, go with it). See
 * `Transport.openStream` for the contract.
 */
export async function openHttpStream(
  target: HttpStreamTarget,
  kind: StreamKind,
  payload: unknown,
  options: TransportSendOptions | undefined,
): Promise<AsyncIterable<StreamEvent>> {
  const body = JSON.stringify(payload);
  let response = await request(target, kind, body, options?.signal);
  if (response.status === 401 && target.onUnauthorized) {
    await response.body?.cancel().catch(() => undefined);
    await target.onUnauthorized();
    response = await request(target, kind, body, options?.signal);
  }
  await checkResponse(response, target.root);
  const stream = response.body;
  if (!stream) throw new ProtocolError(`The live stream at ${target.root} has no body.`);
  return readEvents(stream, target, options?.signal);
}

async function request(
  target: HttpStreamTarget,
  kind: StreamKind,
  body: string,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const extra =
    typeof target.headers === 'function' ? await target.headers() : (target.headers ?? {});
  try {
    return await target.fetch(`${target.root}/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...extra },
      body,
      cache: 'no-store',
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    throw unreachable(target.root, error);
  }
}

async function checkResponse(response: Response, root: string): Promise<void> {
  const status = response.status;
  if (status >= 200 && status < 300) {
    const type = response.headers.get('content-type') ?? '';
    if (type.toLowerCase().startsWith('text/event-stream')) return;
    await response.body?.cancel().catch(() => undefined);
    throw new ProtocolError(
      `The live stream at ${root} answered with content-type ${JSON.stringify(type)}, not text/event-stream. Check that the server is a tidesync server with live sync.`,
    );
  }
  await response.body?.cancel().catch(() => undefined);
  if (status === 401) {
    throw new NetworkError(
      'UNAUTHORIZED',
      `The sync server at ${root} refused the live stream with 401. Check the credentials in \`headers\` or refresh them in \`onUnauthorized\`.`,
      { retryable: false, status },
    );
  }
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  if (status === 429 || status >= 500) {
    throw new NetworkError(
      'SERVER_ERROR',
      `The sync server at ${root} answered ${status} to the live stream; it will be retried.`,
      { retryable: true, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    );
  }
  throw new ProtocolError(
    `The sync server at ${root} answered ${status} to the live stream. Check that it has live sync (tidesync >= 0.x with \`/live\`).`,
  );
}

async function* readEvents(
  stream: ReadableStream<Uint8Array>,
  target: HttpStreamTarget,
  signal: AbortSignal | undefined,
): AsyncGenerator<StreamEvent> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser(target.maxEventBytes);
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (signal?.aborted) return;
        throw new NetworkError(
          'NETWORK_UNAVAILABLE',
          `The live stream from ${target.root} was cut: ${(error as Error)?.message ?? String(error)}. It reconnects by itself.`,
          { retryable: true, cause: error },
        );
      }
      if (chunk.done) return;
      for (const event of parser.push(decoder.decode(chunk.value, { stream: true }))) yield event;
    }
  } finally {
    // Also when the consumer stops early: the connection is released, not left open.
    await reader.cancel().catch(() => undefined);
  }
}

function unreachable(root: string, error: unknown): NetworkError {
  return new NetworkError(
    'NETWORK_UNAVAILABLE',
    `Could not open the live stream at ${root}: ${(error as Error)?.message ?? String(error)}. It reconnects by itself.`,
    { retryable: true, cause: error },
  );
}
