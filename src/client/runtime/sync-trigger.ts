import type { StreamEvent, StreamKind, Timers } from '../../core/index.js';
import type { LiveState } from '../status-types.js';

/** Something that can start syncs on its own (network back, app foregrounded, a timer). */
export interface SyncTrigger {
  /** Starts watching; calls `requestSync` when a sync should run. Returns a function that stops it. */
  start(context: SyncTriggerContext): () => void;
}

/** What a trigger gets from the client. */
export interface SyncTriggerContext {
  /** Asks for a sync run (single-flight: extra requests during a run schedule at most one more). */
  requestSync(reason: string): void;
  /** Tells the client whether the network is believed to be up. */
  setOnline(online: boolean): void;
  /** Calls `listener` after every committed local write; returns an unsubscribe function. */
  onLocalWrite(listener: () => void): () => void;
  /** The client's timers (a fake clock in tests). */
  readonly timers: Timers;
  /** This client's id (the live stream sends it, so the device's own pushes do not poke it). */
  readonly clientId: string;
  /**
   * Opens a stream through the client's transport (`Transport.openStream`); `undefined` when
   * the transport has none.
   */
  readonly openStream:
    | ((
        kind: StreamKind,
        body: unknown,
        signal: AbortSignal,
      ) => Promise<AsyncIterable<StreamEvent>>)
    | undefined;
  /** Sets `status.live`. */
  setLive(live: LiveState): void;
  /** Whether this client syncs itself: true, except for a follower tab under a coordinator. */
  isLeader(): boolean;
  /** Calls `listener` when this client gains or loses the leadership; returns an unsubscribe function. */
  onLeadershipChange(listener: (isLeader: boolean) => void): () => void;
  /** Calls `listener` at the start and the successful end of every sync run; returns an unsubscribe function. */
  onSyncRun(listener: (phase: 'start' | 'complete') => void): () => void;
  /** Reports a failure outside a sync run: sets `status.lastError` and emits `syncError`. */
  reportError(error: Error): void;
}
