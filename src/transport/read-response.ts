import {
  MAX_MESSAGE_DEPTH,
  NetworkError,
  ProtocolError,
  describeValue,
  findUnsafeKey,
  markScreened,
} from '../core/index.js';

/** The error for an answer larger than `maxResponseBytes`; nothing of it is kept. */
function tooLarge(root: string, maxBytes: number, size: string, cause?: unknown): ProtocolError {
  return new ProtocolError(
    `The sync server at ${root} sent a response of ${size} bytes, over the ${maxBytes}-byte \`maxResponseBytes\` limit. Nothing was stored; raise \`maxResponseBytes\` or lower the server's page size.`,
    { code: 'RESPONSE_TOO_LARGE', cause },
  );
}

/**
 * Parses a server response into JSON, mapping HTTP failures to typed errors. The body is read
 * as a stream and dropped (the stream cancelled) as soon as it passes `maxBytes`, so memory
 * stays bounded by the limit whatever the server sends.
 * @throws NetworkError for 401, 429 and 5xx; ProtocolError `RESPONSE_TOO_LARGE` past the limit,
 * `PROTOCOL_ERROR` for a body that is not JSON or holds a prototype key.
 */
export async function readResponse(
  response: Response,
  root: string,
  maxBytes: number,
): Promise<unknown> {
  const status = response.status;
  if (status === 401) {
    await response.body?.cancel().catch(() => undefined);
    throw new NetworkError(
      'UNAUTHORIZED',
      `The sync server at ${root} answered 401. Check the credentials in \`headers\` or refresh them in \`onUnauthorized\`.`,
      { retryable: false, status },
    );
  }
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    await response.body?.cancel().catch(() => undefined);
    throw new NetworkError(
      'SERVER_ERROR',
      `The sync server at ${root} answered ${status}. The outbox is kept; sync will retry.`,
      { retryable: true, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    );
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(root, maxBytes, String(declared));
  }
  const text = await readText(response, root, maxBytes);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new ProtocolError(
      `The sync server at ${root} answered ${status} with a body that is not JSON (${describeValue(text.slice(0, 40))}). Nothing was stored.`,
      { cause: error },
    );
  }
  // JSON.parse makes `__proto__` an own key, which the wire schemas would drop silently.
  const unsafe = findUnsafeKey(body, 0, '', MAX_MESSAGE_DEPTH);
  if (unsafe !== undefined) {
    throw new ProtocolError(
      `The sync server at ${root} answered with a forbidden key or nesting too deep at \`${unsafe}\`. Nothing was stored.`,
    );
  }
  if (body !== null && typeof body === 'object') markScreened(body);
  return body;
}

/** A body read whole (no stream to cancel) still answers `RESPONSE_TOO_LARGE` past the limit. */
function checkedText(text: string, root: string, maxBytes: number): string {
  // UTF-16 length bounds the UTF-8 size from below; measure exactly only near the limit.
  if (text.length > maxBytes) throw tooLarge(root, maxBytes, `more than ${maxBytes}`);
  if (text.length * 3 > maxBytes) {
    const size = new TextEncoder().encode(text).byteLength;
    if (size > maxBytes) throw tooLarge(root, maxBytes, String(size));
  }
  return text;
}

/** Reads the body as UTF-8 text, cancelling the stream once it passes `maxBytes`. */
async function readText(response: Response, root: string, maxBytes: number): Promise<string> {
  // React Native's built-in fetch has no streaming body: read it whole, then hold it to the limit.
  if (!response.body) return checkedText(await response.text(), root, maxBytes);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(root, maxBytes, `more than ${maxBytes}`);
    }
    chunks.push(value);
  }
  try {
    // One decode of the whole body costs less than one per chunk.
    return new TextDecoder().decode(joinChunks(chunks, size));
  } catch (error) {
    // A limit set beyond the engine's longest string: still a typed error, never a RangeError.
    throw tooLarge(root, maxBytes, String(size), error);
  }
}

/** The chunks as one array of `size` bytes (the chunk itself when there is only one). */
function joinChunks(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return all;
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
