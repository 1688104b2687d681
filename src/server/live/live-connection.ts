import type { SyncSetSpec, SyncUser } from '../../core/index.js';

/** Limits and timings of live streams, as resolved from `SyncServerOptions.live`. */
export interface LiveSettings {
  readonly heartbeatMs: number;
  readonly coalesceMs: number;
  readonly maxConnections: number;
}

/** One open live stream, as the hub sees it. */
export interface LiveConnection {
  readonly user: SyncUser;
  /** The client on the other end, when it said; its own pushes do not poke it. */
  readonly clientId: string | null;
  /**
   * The sync sets the device declared when it opened the stream; it is then poked for a change
   * of a `sync: 'sets'` collection only when the record matched one of them before or after.
   * Absent: poked for every change in scope.
   */
  readonly sets?: readonly SyncSetSpec[] | undefined;
  /** Writes SSE text; false when the stream is gone or too far behind (the hub drops it). */
  write(text: string): boolean;
  /** Ends the stream. */
  end(): void;
  /** Whether the stream's user is still authorised (asked at each heartbeat). */
  reauthorize(): Promise<boolean>;
}

/** What the hub keeps of one stream: its pokes so far and the coalescing timer. */
export interface ConnectionState {
  readonly connection: LiveConnection;
  /** Feed head of the last poke meant for this stream (sent or waiting), 0 before any. */
  position: number;
  /** Feed position this stream's device is known to have (poked past, or its own push). */
  covered: number;
  lastPokeAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}
