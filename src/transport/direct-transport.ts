import type { Transport } from '../core/index.js';
import { TidesyncError } from '../core/index.js';
import { httpTransport } from './http-transport.js';

/** Anything with a web-standard `fetch(Request)` handler, such as a `createSyncServer()` result. */
export interface FetchHandler {
  fetch(request: Request): Promise<Response>;
}

/**
 * In-process transport: calls the server's `fetch` handler directly, with no socket. Requests
 * and responses still go through JSON and the same validation as over HTTP.
 *
 * @example
 * const client = await createSyncClient({ collections, storage: memoryAdapter(), transport: directTransport(server) });
 */
export function directTransport(server: FetchHandler): Transport {
  if (!server || typeof server.fetch !== 'function') {
    throw new TidesyncError(
      'INVALID_OPTION',
      'Expected `directTransport()` to get a server with a `fetch(request)` method, such as the result of `createSyncServer()`.',
    );
  }
  return httpTransport({
    url: 'http://tidesync.in-process/sync',
    fetch: (input, init) => server.fetch(new Request(input as string, init)),
  });
}
