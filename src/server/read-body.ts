import { TidesyncError } from '../core/index.js';
import { RequestRefusedError } from './replies.js';

/**
 * The client closed the connection (or its body stream failed) before the request body was
 * read whole. A property of the client's network, not a server failure: it is answered (if
 * anyone still listens) without calling the server's `onError`.
 */
export class RequestAbortedError extends TidesyncError {
  constructor(cause?: unknown) {
    super(
      'REQUEST_ABORTED',
      'The client disconnected before the request body was complete. Nothing was applied.',
      { cause },
    );
  }
}

/** The refusal for a body larger than the limit. */
export function tooLarge(maxBodyBytes: number): RequestRefusedError {
  return new RequestRefusedError(
    413,
    'payload_too_large',
    `The request body is larger than ${maxBodyBytes} bytes. Send fewer ops per batch.`,
  );
}

/**
 * Reads a web `Request` body as UTF-8 text, stopping (and cancelling the stream) as soon as it
 * passes `maxBodyBytes`, so a huge body is never buffered whole.
 * @throws RequestRefusedError 413 `payload_too_large`, 400 for a body that is not UTF-8.
 * @throws RequestAbortedError when the body stream fails before its end (the client left).
 */
export async function readRequestBody(request: Request, maxBodyBytes: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBodyBytes) {
    await request.body?.cancel().catch(() => undefined);
    throw tooLarge(maxBodyBytes);
  }
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw new RequestAbortedError(error);
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > maxBodyBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBodyBytes);
    }
    chunks.push(value);
  }
  return decodeUtf8(chunks, size);
}

/** Joins chunks and decodes them as strict UTF-8. @throws RequestRefusedError 400. */
export function decodeUtf8(chunks: readonly Uint8Array[], size: number): string {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RequestRefusedError(400, 'bad_request', 'The request body is not valid UTF-8.');
  }
}
