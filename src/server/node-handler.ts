import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestAbortedError, decodeUtf8, tooLarge } from './read-body.js';
import type { Reply } from './replies.js';

/** What the node handler needs from the server: a body-less request to route and authorise. */
export type HandleParts = (
  request: Request,
  readBody: (maxBodyBytes: number) => Promise<string>,
) => Promise<Reply>;

// After a 413 the rest of an oversized body is read and dropped (so the client sees the answer
// instead of a reset connection), but only up to this much; then the socket is closed.
const MAX_DISCARD_BYTES = 64 * 1024 * 1024;

/** Builds a Node `http` request handler around the server's request handling. */
export function createNodeHandler(
  handle: HandleParts,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith(':') || value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    } catch {
      url = new URL(req.url?.startsWith('/') ? req.url : '/', 'http://localhost');
    }
    const method = req.method ?? 'GET';
    const request = new Request(url, { method, headers });
    let bodyRead = false;
    const readBody = (maxBodyBytes: number) => {
      bodyRead = true;
      return readNodeBody(req, maxBodyBytes);
    };
    handle(request, readBody)
      .then((reply) => {
        if (req.destroyed && !req.complete) {
          res.destroy();
          return;
        }
        if (!bodyRead || !req.complete) res.setHeader('connection', 'close');
        res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(reply.body));
        if (!req.complete) discardRest(req);
      })
      .catch(() => {
        res.destroy();
      });
  };
}

function readNodeBody(req: IncomingMessage, maxBodyBytes: number): Promise<string> {
  if (req.readableEnded) return Promise.resolve(alreadyParsedBody(req, maxBodyBytes));
  if (req.destroyed) return Promise.reject(new RequestAbortedError());
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > maxBodyBytes) {
      reject(tooLarge(maxBodyBytes));
      return;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBodyBytes) {
        cleanup();
        chunks.length = 0;
        reject(tooLarge(maxBodyBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      try {
        resolve(decodeUtf8(chunks, size));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    // A stream error or a close before the end is the client leaving mid-upload (ECONNRESET
    // "aborted"): a kind of its own, never reported as a server failure.
    const onError = (error: Error) => {
      cleanup();
      reject(new RequestAbortedError(error));
    };
    const onClose = () => {
      cleanup();
      reject(new RequestAbortedError());
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function discardRest(req: IncomingMessage): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.byteLength;
    if (discarded > MAX_DISCARD_BYTES) req.socket.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}

/**
 * The body when a framework middleware (such as `express.json()`) consumed the stream first:
 * it left the parsed value on `req.body`.
 */
function alreadyParsedBody(req: IncomingMessage, maxBodyBytes: number): string {
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  let text: string;
  if (typeof parsed === 'string') text = parsed;
  else if (parsed instanceof Uint8Array) text = decodeUtf8([parsed], parsed.byteLength);
  else text = parsed === undefined ? '' : (JSON.stringify(parsed) ?? '');
  if (new TextEncoder().encode(text).byteLength > maxBodyBytes) throw tooLarge(maxBodyBytes);
  return text;
}
