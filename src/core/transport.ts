import type { RequestKind } from './wire.js';

/**
 * The transport port: how a client reaches a sync server.
 *
 * Contract:
 * - `send` posts a JSON body of the given kind and resolves with the parsed JSON body of the
 *   server's answer, for 2xx answers and for 4xx answers that carry a protocol error body
 *   (`{ protocol, error }`). The client validates every answer with the wire schemas, so a
 *   transport does not need to.
 * - It rejects with `NetworkError` when the server cannot be reached (`NETWORK_UNAVAILABLE`,
 *   retryable), answers 5xx or 429 (`SERVER_ERROR`, retryable, with `retryAfterMs` from a
 *   `Retry-After` header), or 401 (`UNAUTHORIZED`). A body that is not JSON rejects with
 *   `ProtocolError`.
 * - A transport holds no sync state; it may be shared by several clients.
 */
export interface Transport {
  /**
   * The largest answer this transport accepts, in bytes (an http transport's
   * `maxResponseBytes`). The client sends it with each pull, so the server never answers with
   * a page this transport would refuse; a record larger than it arrives as a typed
   * `RECORD_TOO_LARGE` outcome instead. Absent: no limit is sent.
   */
  readonly maxResponseBytes?: number;
  send(kind: RequestKind, body: unknown, options?: TransportSendOptions): Promise<unknown>;
}

/** Per-request options for {@link Transport.send}. */
export interface TransportSendOptions {
  /** Aborts the request (the client uses it for deadlines and `close()`). */
  readonly signal?: AbortSignal;
}
