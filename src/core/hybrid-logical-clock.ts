/**
 * Hybrid logical clock (Kulkarni et al.): wall time plus a logical counter plus the node id.
 * Timestamps are strings that sort lexicographically in causal-then-node order, so
 * `a < b` compares them. A skewed or backwards wall clock never makes a clock go back.
 */

const MS_WIDTH = 15;
const COUNTER_WIDTH = 6;
const MAX_COUNTER = 36 ** COUNTER_WIDTH - 1;

/** The parts of a hybrid logical clock timestamp. */
export interface HlcParts {
  readonly ms: number;
  readonly counter: number;
  readonly node: string;
}

/** Encodes parts as a sortable timestamp string. */
export function encodeHlc(parts: HlcParts): string {
  return `${parts.ms.toString().padStart(MS_WIDTH, '0')}:${parts.counter
    .toString(36)
    .padStart(COUNTER_WIDTH, '0')}:${parts.node}`;
}

const HLC_PATTERN = /^(\d{15}):([0-9a-z]{6}):([A-Za-z0-9_-]{1,64})$/;
// The same shape without capture groups: cheaper for a yes/no check of every wire timestamp.
const HLC_SHAPE = /^\d{15}:[0-9a-z]{6}:[A-Za-z0-9_-]{1,64}$/;

/** Decodes a timestamp string, or returns `undefined` when it is not one. */
export function parseHlc(value: string): HlcParts | undefined {
  const match = HLC_PATTERN.exec(value);
  if (!match) return undefined;
  return {
    ms: Number(match[1]),
    counter: Number.parseInt(match[2] ?? '0', 36),
    node: match[3] ?? '',
  };
}

/** True when `value` is a well-formed timestamp string. */
export function isHlc(value: unknown): value is string {
  return typeof value === 'string' && HLC_SHAPE.test(value);
}

/** Compares two timestamps: negative when `a` is earlier. */
export function compareHlc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The later of two timestamps. */
export function maxHlc(a: string, b: string): string {
  return a >= b ? a : b;
}

/** Options of {@link HybridLogicalClock}. */
export interface HybridLogicalClockOptions {
  /** This node's id; breaks ties between equal clocks. */
  readonly nodeId: string;
  /** Wall clock source. @default Date.now */
  readonly now?: () => number;
  /** The last timestamp this node issued (restored from storage), so the clock survives restarts. */
  readonly last?: string | undefined;
  /**
   * How far a received timestamp may be ahead of this node's wall clock before it is clamped.
   * Protects against a device with a far-future clock dragging everyone forward.
   * @default 86_400_000 (one day)
   */
  readonly maxDriftMs?: number;
}

/** A monotonic hybrid logical clock for one node. */
export class HybridLogicalClock {
  readonly nodeId: string;
  readonly #now: () => number;
  readonly #maxDriftMs: number;
  #ms = 0;
  #counter = 0;
  /** Highest time a clock of this node may carry, from the server's last answer. */
  #ceilingMs = Number.POSITIVE_INFINITY;

  constructor(options: HybridLogicalClockOptions) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(options.nodeId)) {
      throw new TypeError(
        `Expected \`nodeId\` to be 1-64 characters of [A-Za-z0-9_-], got \`${options.nodeId}\`.`,
      );
    }
    this.nodeId = options.nodeId;
    this.#now = options.now ?? Date.now;
    this.#maxDriftMs = options.maxDriftMs ?? 86_400_000;
    const last = options.last === undefined ? undefined : parseHlc(options.last);
    if (last) {
      this.#ms = last.ms;
      this.#counter = last.counter;
    }
  }

  /** The last timestamp issued or observed, without advancing. */
  peek(): string {
    return encodeHlc({ ms: this.#ms, counter: this.#counter, node: this.nodeId });
  }

  /** Issues a timestamp for a local event; always greater than every earlier one. */
  tick(): string {
    const wall = this.#now();
    if (wall > this.#ms) {
      this.#ms = wall;
      this.#counter = 0;
    } else {
      this.#bump();
    }
    return this.peek();
  }

  /**
   * Merges a timestamp received from another node, so the next local event sorts after it.
   * A remote time further ahead than `maxDriftMs` is clamped to wall time plus `maxDriftMs`.
   */
  receive(remote: string): string {
    const parts = parseHlc(remote);
    if (!parts) return this.peek();
    const wall = this.#now();
    const remoteMs = Math.min(parts.ms, wall + this.#maxDriftMs, this.#ceilingMs);
    const remoteCounter = remoteMs === parts.ms ? parts.counter : 0;
    const nextMs = Math.max(this.#ms, remoteMs, wall);
    if (nextMs === this.#ms && nextMs === remoteMs) {
      this.#counter = Math.max(this.#counter, remoteCounter);
      this.#bump();
    } else if (nextMs === this.#ms) {
      this.#bump();
    } else if (nextMs === remoteMs) {
      this.#ms = nextMs;
      this.#counter = remoteCounter;
      this.#bump();
    } else {
      this.#ms = nextMs;
      this.#counter = 0;
    }
    return this.peek();
  }

  /**
   * Takes the server's time (`serverTime` of a push or pull answer): from now on no value of
   * this clock may be later than `serverMs` plus the allowed drift (the smaller of this clock's
   * `maxDriftMs` and the server's `maxDriftMs`, when given). A clock already beyond it (the
   * device's wall clock was once far in the future) is brought back to the server's time, so
   * this node's next writes no longer win every conflict. The only place the clock moves back.
   */
  observeServerTime(serverMs: number, maxDriftMs?: number): void {
    if (!Number.isFinite(serverMs) || serverMs < 0) return;
    const drift = Math.min(this.#maxDriftMs, maxDriftMs ?? Number.POSITIVE_INFINITY);
    this.#ceilingMs = serverMs + drift;
    if (this.#ms > this.#ceilingMs) {
      this.#ms = Math.floor(serverMs);
      this.#counter = 0;
    }
  }

  /**
   * Whether `timestamp` is later than the server's time plus the allowed drift, as last told
   * by {@link HybridLogicalClock.observeServerTime} (`false` before): such a value, stored by
   * an earlier run, is not merged back into the clock.
   */
  isBeyondServerTime(timestamp: string): boolean {
    const parts = parseHlc(timestamp);
    return parts !== undefined && parts.ms > this.#ceilingMs;
  }

  #bump(): void {
    // The counter overflowing means >2 billion events in one millisecond; carry into the ms
    // part rather than wrap, so order is kept.
    if (this.#counter >= MAX_COUNTER) {
      this.#ms += 1;
      this.#counter = 0;
    } else {
      this.#counter += 1;
    }
  }
}
