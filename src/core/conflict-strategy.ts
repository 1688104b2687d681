import type { FieldClocks, RecordData } from './records.js';

/** One side of a conflict: its data (`null` for deleted), clock and per-field clocks. */
export interface VersionState {
  readonly data: RecordData | null;
  readonly hlc: string;
  readonly fieldClocks: FieldClocks;
}

/** What a conflict strategy is given. Names are from the point of view of the writer. */
export interface ConflictInput {
  readonly collection: string;
  /** Canonical record id. */
  readonly id: string;
  /** The change being applied (on the server: the incoming op merged over its base). */
  readonly local: VersionState & { readonly changedFields: readonly string[] };
  /** The version it collides with (on the server: the stored record). */
  readonly remote: VersionState;
}

/** A strategy's answer: a merged version, or a hand-off to the app. */
export type ConflictOutcome =
  | {
      readonly kind: 'merged';
      readonly data: RecordData | null;
      readonly hlc: string;
      readonly fieldClocks: FieldClocks;
    }
  | { readonly kind: 'manual' };

/** Names of the built-in strategies. */
export type ConflictStrategyName = 'lastWriteWins' | 'fieldMerge' | 'manual' | 'custom';

/**
 * A conflict strategy: a pure function, so the same input gives the same outcome on every
 * client and on the server. Deterministic strategies resolve on the server in the push round
 * trip; `manual` and `custom` ones come back to the client as conflicts.
 */
export interface ConflictStrategy {
  readonly name: ConflictStrategyName;
  /** True when the server may resolve with it (no app input needed). */
  readonly deterministic: boolean;
  resolve(input: ConflictInput): ConflictOutcome;
}
