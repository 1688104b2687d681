import type { StreamEvent } from '../../../core/index.js';
import { PROTOCOL_VERSION, TidesyncError, describeValue, toError } from '../../../core/index.js';
import { backoffDelayMs } from '../../../outbox/index.js';
import type { SyncTrigger, SyncTriggerContext } from '../sync-trigger.js';
import type { AppStateSource } from './foreground-trigger.js';
import { browserVisibility } from './foreground-trigger.js';
import type { ConnectivitySource } from './online-trigger.js';
import { browserConnectivity } from './online-trigger.js';

/** Options of {@link liveTrigger}. */
export interface LiveTriggerOptions {
  /**
   * Foreground/background changes: the stream is closed while the app is in the background.
   * @default the browser's `visibilitychange` when there is a `document`, else always foreground
   */
  readonly appState?: AppStateSource;
  /**
   * Connectivity changes: the stream is closed while offline and reopened when the network
   * comes back. @default the browser's `online`/`offline` events when there are any
   */
  readonly connectivity?: ConnectivitySource;
  /** First reconnect waits a random time up to this (full jitter). @default 1000 */
  readonly baseDelayMs?: number;
  /** No reconnect waits longer than this. @default 30_000 */
  readonly maxDelayMs?: number;
  /** Random source in [0, 1) for the jitter; tests pass a seeded one. @default Math.random */
  readonly random?: () => number;
}

/**
 * Keeps one live stream (`<mount>/live`) open to the server and syncs whenever the server pokes,
 * so another device's change shows here within moments. The stream carries no data: a poke
 * starts the same single-flight sync as every other trigger, which pulls from the stored cursor,
 * so a poke lost with a dropped stream delays a change but never skips it.
 *
 * It reconnects with exponential backoff and full jitter (a restarted server is not hit by every
 * device at once), pulls once on every (re)connect, holds no stream in a follower tab under a
 * coordinator, and closes it while the app is in the background or offline. After a 401 it
 * reports `UNAUTHORIZED` like a failed sync and waits for the next successful sync (new
 * credentials) before it tries again. `status.live` says where it is. See docs/background-sync.md.
 *
 * @example
 * createSyncClient({ ..., triggers: [liveTrigger(), writeTrigger(), onlineTrigger(), foregroundTrigger()] });
 * @throws TidesyncError `INVALID_OPTION` for a bad delay, or at start when the transport cannot
 * open streams.
 */
export function liveTrigger(options: LiveTriggerOptions = {}): SyncTrigger {
  const baseDelayMs = delayOption('baseDelayMs', options.baseDelayMs, 1000);
  const maxDelayMs = delayOption('maxDelayMs', options.maxDelayMs, 30_000);
  const policy = {
    baseDelayMs,
    maxDelayMs: Math.max(baseDelayMs, maxDelayMs),
    maxAttempts: 1,
    random: options.random ?? Math.random,
  };
  return {
    start(context) {
      if (!context.openStream) {
        throw new TidesyncError(
          'INVALID_OPTION',
          'liveTrigger() needs a transport that can open streams (`openStream`), such as httpTransport() or directTransport(). Remove liveTrigger() or use one of those transports.',
        );
      }
      const appState = options.appState ?? browserVisibility();
      const connectivity = options.connectivity ?? browserConnectivity();
      // An app-state source has no current value: it starts in the foreground. A browser tab
      // opened in the background waits for its first `visibilitychange`.
      const doc = (globalThis as { document?: { visibilityState?: string } }).document;
      const foreground = options.appState !== undefined || doc?.visibilityState !== 'hidden';
      return new LiveLoop(context, policy, appState, connectivity, foreground).stop;
    },
  };
}

/**
 * One client's live stream.
 *
 *   off --wanted--> connecting --ready--> connected --poke--> (sync) connected
 *    ^                 |   ^                   |
 *    |                 |   +--backoff timer----+-- stream dropped / ended / refused (5xx)
 *    +-- background, offline, follower tab, stopped, or 401 (until the next successful sync)
 */
class LiveLoop {
  readonly #context: SyncTriggerContext;
  readonly #policy: Parameters<typeof backoffDelayMs>[1];
  readonly #unsubscribe: (() => void)[] = [];
  #foreground = true;
  #online = true;
  #leader: boolean;
  #stopped = false;
  /** A 401 stops reconnecting until a sync succeeds (new credentials) or the app comes back. */
  #refused = false;
  #attempt = 0;
  #abort: AbortController | undefined;
  #retryHandle: unknown;
  #retryPending = false;
  /** Highest feed position the server poked or pinged with. */
  #seenPosition = 0;
  /** `#seenPosition` when the running sync started, and when the last successful one did. */
  #runStartPosition = 0;
  #syncedPosition = 0;

  constructor(
    context: SyncTriggerContext,
    policy: Parameters<typeof backoffDelayMs>[1],
    appState: AppStateSource | undefined,
    connectivity: ConnectivitySource | undefined,
    foreground: boolean,
  ) {
    this.#context = context;
    this.#policy = policy;
    this.#leader = context.isLeader();
    this.#online = connectivity?.isOnline?.() ?? true;
    this.#foreground = foreground;
    if (appState) {
      this.#unsubscribe.push(appState.subscribe((foreground) => this.#set({ foreground })));
    }
    if (connectivity) {
      this.#unsubscribe.push(connectivity.subscribe((online) => this.#set({ online })));
    }
    this.#unsubscribe.push(context.onLeadershipChange((leader) => this.#set({ leader })));
    this.#unsubscribe.push(
      context.onSyncRun((phase) => {
        if (phase === 'start') {
          this.#runStartPosition = this.#seenPosition;
          return;
        }
        this.#syncedPosition = Math.max(this.#syncedPosition, this.#runStartPosition);
        if (this.#refused) this.#set({ refused: false });
      }),
    );
    this.#update();
  }

  readonly stop = (): void => {
    this.#stopped = true;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#update();
  };

  #set(change: {
    foreground?: boolean;
    online?: boolean;
    leader?: boolean;
    refused?: boolean;
  }): void {
    // Coming back to the foreground or online is a fresh start: no backoff, no 401 wait.
    if (change.foreground === true && !this.#foreground) this.#fresh();
    if (change.online === true && !this.#online) this.#fresh();
    this.#foreground = change.foreground ?? this.#foreground;
    this.#online = change.online ?? this.#online;
    this.#leader = change.leader ?? this.#leader;
    this.#refused = change.refused ?? this.#refused;
    this.#update();
  }

  #fresh(): void {
    this.#attempt = 0;
    this.#refused = false;
    this.#cancelRetry();
  }

  get #wanted(): boolean {
    return !this.#stopped && this.#foreground && this.#online && this.#leader && !this.#refused;
  }

  #update(): void {
    if (!this.#wanted) {
      this.#cancelRetry();
      this.#abort?.abort();
      this.#abort = undefined;
      this.#context.setLive('off');
      return;
    }
    if (this.#abort || this.#retryPending) return;
    void this.#connect();
  }

  async #connect(): Promise<void> {
    const abort = new AbortController();
    this.#abort = abort;
    this.#context.setLive('connecting');
    try {
      const open = this.#context.openStream;
      if (!open) return;
      const events = await open(
        'live',
        { protocol: PROTOCOL_VERSION, clientId: this.#context.clientId },
        abort.signal,
      );
      for await (const event of events) {
        if (abort.signal.aborted) return;
        // The credentials expired while connected: reopen once, with the headers (and the
        // transport's onUnauthorized refresh) of now; a 401 to that stops reconnecting.
        if (event.event === 'unauthorized') break;
        this.#onEvent(event);
      }
      if (abort.signal.aborted) return;
      // The server ended the stream (restart, deploy, instance shut down): come back.
      this.#reconnectLater(undefined);
    } catch (error) {
      if (abort.signal.aborted) return;
      const err = toError(error);
      if (err instanceof TidesyncError && err.code === 'UNAUTHORIZED') {
        this.#abort = undefined;
        this.#context.reportError(err);
        this.#set({ refused: true });
        return;
      }
      this.#reconnectLater((err as { retryAfterMs?: number }).retryAfterMs);
    } finally {
      if (this.#abort === abort) this.#abort = undefined;
    }
  }

  #onEvent(event: StreamEvent): void {
    const position = positionOf(event.data);
    if (event.event === 'ready') {
      this.#attempt = 0;
      this.#context.setLive('connected');
      // Whatever was committed while the stream was down: the pull resumes from the cursor.
      this.#context.requestSync('live');
      return;
    }
    if (position !== undefined) this.#seenPosition = Math.max(this.#seenPosition, position);
    if (event.event === 'poke') this.#context.requestSync('live');
    // A ping repeats the stream's last poke position: one this device has not synced past
    // (its poke-started sync failed or raced) is caught up here.
    else if (event.event === 'ping' && this.#seenPosition > this.#syncedPosition)
      this.#context.requestSync('live');
  }

  #reconnectLater(retryAfterMs: number | undefined): void {
    this.#abort = undefined;
    if (!this.#wanted) return;
    const delayMs = backoffDelayMs(this.#attempt, this.#policy, retryAfterMs);
    this.#attempt += 1;
    this.#context.setLive('connecting');
    this.#retryPending = true;
    this.#retryHandle = this.#context.timers.setTimeout(() => {
      this.#retryPending = false;
      this.#update();
    }, delayMs);
  }

  #cancelRetry(): void {
    if (this.#retryPending) this.#context.timers.clearTimeout(this.#retryHandle);
    this.#retryPending = false;
  }
}

function positionOf(data: string): number | undefined {
  try {
    const position = (JSON.parse(data) as { position?: unknown } | null)?.position;
    return typeof position === 'number' && Number.isSafeInteger(position) ? position : undefined;
  } catch {
    return undefined;
  }
}

function delayOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`${name}\` to be a number of ms >= 1, got ${describeValue(value)}.`,
    );
  }
  return value;
}
