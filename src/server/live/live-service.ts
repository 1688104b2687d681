import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SyncUser } from '../../core/index.js';
import { nonNegativeInt, positiveInt } from '../../core/index.js';
import type { ServerContext } from '../server-context.js';
import { observeCommits } from './commit-observer.js';
import { channelOf } from './live-channel.js';
import { handleLive, handleLiveNode } from './live-handler.js';
import { LiveHub } from './live-hub.js';

/** Options of live sync on the server (`SyncServerOptions.live`). */
export interface LiveServerOptions {
  /**
   * How often each stream gets a `ping` (and its user is authorised again), so proxies keep
   * idle streams open and dead ones are found. @default 15_000
   */
  readonly heartbeatMs?: number;
  /** Pokes to one stream closer together than this are merged into one. @default 10 */
  readonly coalesceMs?: number;
  /** Open streams per server process; more are refused with 503 and `Retry-After`. @default 10_000 */
  readonly maxConnections?: number;
}

/** The live half of a sync server: its endpoint, its hub, and the store that reports commits. */
export interface LiveService {
  /** The server's context with a store that pokes after each committed push. */
  readonly ctx: ServerContext;
  fetch(request: Request): Promise<Response>;
  node(req: IncomingMessage, res: ServerResponse): void;
  /** Ends every live stream of this server. */
  close(): void;
  /** Open streams of this server. */
  readonly size: number;
}

/**
 * Sets up live sync for a server.
 * @throws TidesyncError `INVALID_OPTION` for a timing or limit that is not a positive integer.
 */
export function createLiveService(
  base: ServerContext,
  authorize: (
    request: Request,
  ) => Promise<SyncUser | null | undefined> | SyncUser | null | undefined,
  options: LiveServerOptions | undefined,
  onError: (error: Error) => void,
): LiveService {
  const settings = {
    heartbeatMs: positiveInt('live.heartbeatMs', options?.heartbeatMs, 15_000),
    coalesceMs: nonNegativeInt('live.coalesceMs', options?.coalesceMs, 10),
    maxConnections: positiveInt('live.maxConnections', options?.maxConnections, 10_000),
  };
  const channel = channelOf(base.store);
  const hub = new LiveHub(base.collections, base.store, channel, settings, onError);
  const store = observeCommits(base.store, base.collections, (change) => {
    // After the commit and off the push's path: the push answers without waiting for pokes.
    channel.publish(change, base.store).catch((error: unknown) => {
      onError(error instanceof Error ? error : new Error(String(error)));
    });
  });
  const ctx: ServerContext = { ...base, store };
  const endpoint = { hub, store: base.store, collections: base.collections, authorize, onError };
  return {
    ctx,
    fetch: (request) => handleLive(endpoint, request),
    node: (req, res) => handleLiveNode(endpoint, req, res),
    close: () => hub.close(),
    get size() {
      return hub.size;
    },
  };
}
