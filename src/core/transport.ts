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
 * - `openStream`, when present, opens a server-sent-events stream (`live`): it resolves once the
 *   server accepted it (2xx `text/event-stream`) and rejects like `send` otherwise (401
 *   `UNAUTHORIZED` after one `onUnauthorized` retry, 5xx/429 `SERVER_ERROR`, unreachable
 *   `NETWORK_UNAVAILABLE`). The iterable yields each event and ends when the server ends the
 *   stream; a stream cut mid-way throws `NetworkError`. Aborting `signal` ends it quietly.
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
  /** Opens a server-sent-events stream; optional (a transport without it has no live sync). */
  openStream?(
    kind: StreamKind,
    body: unknown,
    options?: TransportSendOptions,
  ): Promise<AsyncIterable<StreamEvent>>;
}

/** Streams a transport may open: `live` is the poke stream of `liveTrigger()`. */
export type StreamKind = 'live';

/** One server-sent event: its `event` name (`message` when unnamed) and its `data` lines. */
export interface StreamEvent {
  readonly event: string;
  readonly data: string;
}

/** Per-request options for {@link Transport.send}. */
export interface TransportSendOptions {
  /** Aborts the request (the client uses it for deadlines and `close()`). */
  readonly signal?: AbortSignal;
}
