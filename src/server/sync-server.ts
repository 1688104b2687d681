import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectionDefinition, SyncUser } from '../core/index.js';
import {
  TidesyncError,
  describeValue,
  getRequestSchema,
  positiveInt,
  pullRequestSchema,
  pushRequestSchema,
  toError,
} from '../core/index.js';
import type { LiveServerOptions } from './live/live-service.js';
import { createLiveService } from './live/live-service.js';
import { isLiveRequest } from './live/live-handler.js';
import { getAtServerVersion, pullAtClientVersions } from './downcast-pull.js';
import { createNodeHandler } from './node-handler.js';
import { handleGet, handlePull } from './pull-handler.js';
import { handlePush } from './push-handler.js';
import { RequestAbortedError, readRequestBody } from './read-body.js';
import type { Reply } from './replies.js';
import { RequestRefusedError, errorReply, refusedReply } from './replies.js';
import { checkContentType, parseRequestBody, validate } from './request-checks.js';
import type { ServerContext } from './server-context.js';
import type { ServerStore } from './server-store.js';

/** Options of {@link createSyncServer}. */
export interface SyncServerOptions {
  /** The collections clients may sync; the same definitions the clients use. */
  readonly collections: readonly CollectionDefinition[];
  /** Where records, the change feed and per-client state live. */
  readonly store: ServerStore;
  /**
   * Identifies the user of a request (from its headers; the body is not readable here).
   * Throwing or returning `null`/`undefined` answers 401 `unauthorized`.
   */
  readonly authorize: (
    request: Request,
  ) => Promise<SyncUser | null | undefined> | SyncUser | null | undefined;
  /**
   * Who picks canonical ids: `'client'` keeps the client's id; `'server'` mints a new id for
   * each insert and maps the client's local id to it. @default 'client'
   */
  readonly assignId?: 'client' | 'server';
  /** Bodies larger than this are refused with 413 before they are read whole. @default 4 MiB */
  readonly maxBodyBytes?: number;
  /** Pushes with more ops are refused with 413. @default 500 */
  readonly maxOpsPerBatch?: number;
  /**
   * A sync set's `where` may list at most this many values for one field (`{ in: [...] }`);
   * a longer list is refused with 400 `bad_request` (docs/sync-sets.md). @default 100
   */
  readonly maxSetValues?: number;
  /** Pulls return at most this many changes, whatever the client asks. @default 1000 */
  readonly maxPullLimit?: number;
  /**
   * A pull page holds records of at most this many bytes (JSON) in all, and at most the
   * client's `maxBytes`; a page always holds at least one entry. @default 4 MiB
   */
  readonly maxPullPageBytes?: number;
  /**
   * A write whose record would be larger than this (its data and field clocks as JSON) is
   * `rejected` with `record_too_large`, so no device stores what others cannot pull.
   * @default 1 MiB
   */
  readonly maxRecordBytes?: number;
  /**
   * Op clocks further ahead of server time than this are clamped to server time plus this,
   * so a device with a far-future clock cannot win every conflict. @default 86_400_000 (24 h)
   */
  readonly maxClockDriftMs?: number;
  /**
   * How many earlier states of a record in a collection with a `scope` function the server
   * keeps (server-side only), so a user who could see one of them but not the current state is
   * told to remove it from their devices. A device that misses more changes than this, all made
   * while the record was outside its user's scope, keeps the record. @default 4
   */
  readonly maxFormerStates?: number;
  /**
   * Extra secret in the key that seals pull cursors (with the store's epoch). Cursors of
   * releases before sealed cursors carried the epoch in clear: for a store those releases
   * served, set this (any long random string, the same on every instance) so devices that saw
   * an old cursor cannot forge new ones. @default '' (the epoch alone)
   */
  readonly cursorSecret?: string;
  /** Server wall clock, for tests. @default Date.now */
  readonly now?: () => number;
  /**
   * Called with unexpected errors (answered 500 `internal`). Not called for refused requests
   * (4xx) nor for a client that disconnects before its body is read whole. @default console.error
   */
  readonly onError?: (error: Error) => void;
  /** Live sync (`<mount>/live`): heartbeat, coalescing and connection limit. See docs/protocol.md. */
  readonly live?: LiveServerOptions;
}

/** A sync server: a fetch-API handler and a Node `http` handler over one store. */
export interface SyncServer {
  /** Answers one sync request (web-standard `Request`/`Response`). */
  fetch(request: Request): Promise<Response>;
  /** The same handler for `http.createServer(server.nodeHandler)` and Express/Connect. */
  readonly nodeHandler: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Ends this server's live streams (devices reconnect, to this or another instance). Call it
   * before `httpServer.close()`, which waits for open streams. Does not close the store.
   */
  closeLive(): void;
}

/**
 * Creates the server half of tidesync: it routes on the last path segment (`push`, `pull`,
 * `get`, `live`), so it can be mounted under any prefix. See docs/server.md and docs/protocol.md.
 *
 * @example
 * const server = createSyncServer({
 *   collections: [todos],
 *   store: sqliteServerStore(new Database('sync.db')),
 *   authorize: async (request) => verifyToken(request.headers.get('authorization')),
 * });
 * http.createServer(server.nodeHandler).listen(8787);
 * @throws TidesyncError `INVALID_OPTION` for a missing store or authorize, duplicate collection
 * names, or a limit that is not a positive integer.
 */
export function createSyncServer(options: SyncServerOptions): SyncServer {
  const authorize = options.authorize;
  const maxBodyBytes = positiveInt('maxBodyBytes', options.maxBodyBytes, 4 * 1024 * 1024);
  const onError = options.onError ?? ((error: Error) => console.error('[tidesync server]', error));
  const live = createLiveService(resolveOptions(options), authorize, options.live, onError);
  const ctx = live.ctx;

  const handle = async (
    request: Request,
    readBody: (maxBodyBytes: number) => Promise<string>,
  ): Promise<Reply> => {
    try {
      const kind = routeOf(request);
      if (!kind)
        return errorReply(
          404,
          'not_found',
          `No sync endpoint at ${new URL(request.url).pathname}; use .../push, .../pull or .../get.`,
        );
      if (request.method !== 'POST') {
        return errorReply(405, 'bad_request', `Use POST for ${kind}, got ${request.method}.`);
      }
      checkContentType(request, kind);
      let user: SyncUser | null | undefined;
      try {
        user = await authorize(request);
      } catch {
        user = null;
      }
      if (user === null || user === undefined) {
        return errorReply(401, 'unauthorized', 'The request is not authorised. Sign in again.');
      }
      if (typeof user.userId !== 'string' || user.userId === '') {
        throw new TidesyncError(
          'INVALID_OPTION',
          `Expected \`authorize\` to return { userId: string }, got ${describeValue(user)}.`,
        );
      }
      await ctx.store.open();
      const body = parseRequestBody(await readBody(maxBodyBytes));
      if (kind === 'push') {
        const ops = (body as { ops?: unknown }).ops;
        if (Array.isArray(ops) && ops.length > ctx.maxOpsPerBatch) {
          return errorReply(
            413,
            'payload_too_large',
            `ops: ${ops.length} ops in one push; the limit is ${ctx.maxOpsPerBatch}. Split the batch.`,
          );
        }
        return {
          status: 200,
          body: await handlePush(ctx, user, validate(pushRequestSchema, body)),
        };
      }
      if (kind === 'pull') {
        return {
          status: 200,
          body: await pullAtClientVersions(ctx, validate(pullRequestSchema, body), (request) =>
            handlePull(ctx, user, request),
          ),
        };
      }
      const get = handleGet(ctx, user, validate(getRequestSchema, body));
      return { status: 200, body: await getAtServerVersion(get, ctx) };
    } catch (error) {
      if (error instanceof RequestRefusedError) return refusedReply(error);
      // The client went away mid-upload: its own network, not a server failure. Nothing ran;
      // the answer goes nowhere, and onError is not told (no client can flood the log).
      if (error instanceof RequestAbortedError) return abortedReply();
      onError(toError(error));
      return errorReply(
        500,
        'internal',
        'The server failed to handle the request; nothing of it was applied. Retry later.',
      );
    }
  };

  const nodeHandler = createNodeHandler(handle);
  return {
    async fetch(request: Request): Promise<Response> {
      if (isLiveRequest(request.url)) return live.fetch(request);
      const reply = await handle(request, (max) => readRequestBody(request, max));
      return new Response(JSON.stringify(reply.body), {
        status: reply.status,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
    },
    nodeHandler: (req, res) =>
      isLiveRequest(req.url ?? '/') ? live.node(req, res) : nodeHandler(req, res),
    closeLive: () => live.close(),
  };
}

function abortedReply(): Reply {
  return errorReply(
    400,
    'bad_request',
    'The request body ended before it was complete (the client disconnected). Nothing was applied.',
  );
}

function routeOf(request: Request): 'push' | 'pull' | 'get' | undefined {
  const segments = new URL(request.url).pathname.split('/').filter((s) => s !== '');
  const last = segments[segments.length - 1];
  return last === 'push' || last === 'pull' || last === 'get' ? last : undefined;
}

function resolveOptions(options: SyncServerOptions): ServerContext {
  if (!options || typeof options.store?.transaction !== 'function') {
    throw new TidesyncError(
      'INVALID_OPTION',
      'Expected `store` to be a server store, such as memoryServerStore().',
    );
  }
  if (typeof options.authorize !== 'function') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`authorize\` to be a function, got ${describeValue(options.authorize)}.`,
    );
  }
  const assignId = options.assignId ?? 'client';
  if (assignId !== 'client' && assignId !== 'server') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`assignId\` to be 'client' or 'server', got ${describeValue(assignId)}.`,
    );
  }
  const collections = new Map<string, CollectionDefinition>();
  for (const collection of options.collections ?? []) {
    if (collections.has(collection.name)) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Collection \`${collection.name}\` is listed twice in \`collections\`.`,
      );
    }
    collections.set(collection.name, collection);
  }
  return {
    collections,
    store: options.store,
    assignId,
    maxOpsPerBatch: positiveInt('maxOpsPerBatch', options.maxOpsPerBatch, 500),
    maxPullLimit: positiveInt('maxPullLimit', options.maxPullLimit, 1000),
    maxPullPageBytes: positiveInt('maxPullPageBytes', options.maxPullPageBytes, 4 * 1024 * 1024),
    maxRecordBytes: positiveInt('maxRecordBytes', options.maxRecordBytes, 1024 * 1024),
    maxClockDriftMs: positiveInt('maxClockDriftMs', options.maxClockDriftMs, 86_400_000),
    cursorSecret: cursorSecretOf(options.cursorSecret),
    maxFormerStates: positiveInt('maxFormerStates', options.maxFormerStates, 4),
    maxSetValues: positiveInt('maxSetValues', options.maxSetValues, 100),
    now: options.now ?? Date.now,
  };
}

function cursorSecretOf(value: string | undefined): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || value.length > 1024) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`cursorSecret\` to be a string of at most 1024 characters, got ${describeValue(value)}.`,
    );
  }
  return value;
}
