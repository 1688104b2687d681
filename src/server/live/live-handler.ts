import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectionDefinition, SyncSetSpec, SyncUser } from '../../core/index.js';
import { PROTOCOL_VERSION, TidesyncError, describeValue } from '../../core/index.js';
import { readRequestBody } from '../read-body.js';
import type { Reply } from '../replies.js';
import { RequestRefusedError, errorReply, refusedReply } from '../replies.js';
import type { ServerStore } from '../server-store.js';
import type { LiveConnection } from './live-connection.js';
import type { LiveHub } from './live-hub.js';
import { liveSetsOf } from './live-sets.js';

// A `/live` body is `{ protocol, clientId, sets? }`: room for a device's sync sets.
const MAX_LIVE_BODY_BYTES = 64 * 1024;
// A stream whose reader is this many events behind is dropped (it reconnects and pulls).
const MAX_QUEUED_EVENTS = 64;
// The same for Node: bytes written to the socket but not yet sent.
const MAX_UNSENT_BYTES = 64 * 1024;

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // nginx and some proxies buffer responses unless told not to: a buffered poke is a late poke.
  'x-accel-buffering': 'no',
};

/** Whether `request` is for the live endpoint (last path segment `live`). */
export function isLiveRequest(url: string): boolean {
  let pathname: string;
  try {
    pathname = new URL(url, 'http://localhost').pathname;
  } catch {
    return false;
  }
  const segments = pathname.split('/').filter((s) => s !== '');
  return segments[segments.length - 1] === 'live';
}

/** What the live endpoint needs from its server. */
export interface LiveEndpointContext {
  readonly hub: LiveHub;
  readonly store: ServerStore;
  readonly collections: ReadonlyMap<string, CollectionDefinition>;
  readonly authorize: (
    request: Request,
  ) => Promise<SyncUser | null | undefined> | SyncUser | null | undefined;
  readonly onError: (error: Error) => void;
}

/**
 * Answers `GET|POST <mount>/live`: after the same authorisation as every other endpoint, a
 * `text/event-stream` of `ready`, `poke`, `ping` and `unauthorized` events (docs/protocol.md).
 * Refusals are JSON error bodies, as elsewhere, and open no stream.
 */
export async function handleLive(live: LiveEndpointContext, request: Request): Promise<Response> {
  const opened = await openLive(live, request);
  if ('status' in opened) return json(opened);
  const { user, clientId, sets } = opened;
  const encoder = new TextEncoder();
  const registration: { remove?: () => void } = {};
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    registration.remove?.();
    try {
      controller.close();
    } catch {
      // Already cancelled by the reader.
    }
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      ended = true;
      registration.remove?.();
    },
  });
  const connection: LiveConnection = {
    user,
    clientId,
    sets,
    write(text) {
      if (ended) return false;
      if ((controller.desiredSize ?? 0) < -MAX_QUEUED_EVENTS) return false;
      try {
        controller.enqueue(encoder.encode(text));
        return true;
      } catch {
        return false;
      }
    },
    end,
    reauthorize: async () => isUser(await live.authorize(request)),
  };
  request.signal?.addEventListener('abort', end, { once: true });
  const head = await live.store.read((reader) => reader.getHead());
  // Registered before `ready` is queued: a change committed from here on is poked.
  registration.remove = live.hub.add(connection, head);
  // Cancelled while the head was read: the stream is gone already.
  if (ended) registration.remove();
  connection.write(`event: ready\ndata: {"position":${head}}\n\n`);
  return new Response(body, { status: 200, headers: SSE_HEADERS });
}

/**
 * The same endpoint for Node's `http`: the request is turned into a web `Request` and the
 * event stream is written to `res` as it comes.
 */
export function handleLiveNode(
  live: LiveEndpointContext,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  void (async () => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith(':') || value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const method = req.method ?? 'GET';
    const body = method === 'POST' ? await readSmallBody(req) : undefined;
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const request = new Request(url, {
      method,
      headers,
      signal: abort.signal,
      ...(body === undefined ? {} : { body }),
    });
    const response = await handleLive(live, request);
    const outHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      outHeaders[name] = value;
    });
    res.writeHead(response.status, outHeaders);
    res.flushHeaders();
    if (!response.body) {
      res.end();
      return;
    }
    const reader = response.body.getReader();
    res.on('close', () => void reader.cancel().catch(() => undefined));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
      // A peer that stopped reading (gone without a FIN): drop it instead of buffering pings.
      if (res.writableLength > MAX_UNSENT_BYTES) {
        void reader.cancel().catch(() => undefined);
        res.destroy();
        return;
      }
    }
    res.end();
  })().catch((error: unknown) => {
    live.onError(error instanceof Error ? error : new Error(String(error)));
    res.destroy();
  });
}

async function openLive(live: LiveEndpointContext, request: Request): Promise<Reply | LiveOpening> {
  try {
    if (request.method !== 'GET' && request.method !== 'POST') {
      return errorReply(405, 'bad_request', `Use GET or POST for live, got ${request.method}.`);
    }
    let user: SyncUser | null | undefined;
    try {
      user = await live.authorize(request);
    } catch {
      user = null;
    }
    if (!isUser(user)) {
      return errorReply(401, 'unauthorized', 'The request is not authorised. Sign in again.');
    }
    if (!live.hub.hasRoom) {
      return {
        status: 503,
        body: errorReply(
          503,
          'internal',
          'This server has no room for another live stream; retry later.',
        ).body,
      };
    }
    await live.store.open();
    const { clientId, sets } =
      request.method === 'GET'
        ? { clientId: new URL(request.url).searchParams.get('clientId'), sets: undefined }
        : bodyOf(await readRequestBody(request, MAX_LIVE_BODY_BYTES), live.collections);
    if (clientId !== null && (clientId.length === 0 || clientId.length > 128)) {
      throw new RequestRefusedError(
        400,
        'bad_request',
        `clientId: expected 1 to 128 characters, got ${describeValue(clientId)}.`,
      );
    }
    return { user, clientId, sets };
  } catch (error) {
    if (error instanceof RequestRefusedError) return refusedReply(error);
    live.onError(error instanceof Error ? error : new Error(String(error)));
    return errorReply(500, 'internal', 'The server could not open the live stream. Retry later.');
  }
}

interface LiveOpening {
  readonly user: SyncUser;
  readonly clientId: string | null;
  readonly sets: readonly SyncSetSpec[] | undefined;
}

function bodyOf(
  text: string,
  collections: ReadonlyMap<string, CollectionDefinition>,
): { clientId: string | null; sets: readonly SyncSetSpec[] | undefined } {
  if (text.trim() === '') return { clientId: null, sets: undefined };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RequestRefusedError(400, 'bad_request', 'The live request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RequestRefusedError(
      400,
      'bad_request',
      `(root): expected a JSON object, got ${describeValue(body)}.`,
    );
  }
  const { protocol, clientId, sets } = body as {
    protocol?: unknown;
    clientId?: unknown;
    sets?: unknown;
  };
  if (protocol !== undefined && protocol !== PROTOCOL_VERSION) {
    throw new RequestRefusedError(
      400,
      'protocol_version',
      `protocol: this server speaks protocol ${PROTOCOL_VERSION}, got ${describeValue(protocol)}. Update the client.`,
    );
  }
  if (clientId !== undefined && clientId !== null && typeof clientId !== 'string') {
    throw new RequestRefusedError(
      400,
      'bad_request',
      `clientId: expected a string, got ${describeValue(clientId)}.`,
    );
  }
  return { clientId: clientId ?? null, sets: liveSetsOf(sets, collections) };
}

function isUser(user: SyncUser | null | undefined): user is SyncUser {
  if (user === null || user === undefined) return false;
  if (typeof user.userId !== 'string' || user.userId === '') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`authorize\` to return { userId: string }, got ${describeValue(user)}.`,
    );
  }
  return true;
}

function json(reply: Reply): Response {
  return new Response(JSON.stringify(reply.body), {
    status: reply.status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      ...(reply.status === 503 ? { 'retry-after': '5' } : {}),
    },
  });
}

async function readSmallBody(req: IncomingMessage): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    // Past the limit, keep only what the 413 check needs to see that it is too large.
    if (size <= MAX_LIVE_BODY_BYTES + 1) chunks.push(chunk);
    else break;
  }
  const out = new Uint8Array(Math.min(size, MAX_LIVE_BODY_BYTES + 1));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, out.byteLength - offset);
    out.set(part, offset);
    offset += part.byteLength;
    if (offset >= out.byteLength) break;
  }
  // Past the limit the text is longer than the limit too: readRequestBody answers 413.
  return new TextDecoder().decode(out);
}
