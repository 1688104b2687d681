import type { EnqueueResult } from '../../outbox/index.js';

/** What a committed transaction changed, for events, live queries and `status.pendingOps`. */
export class ChangeSet {
  readonly collections = new Set<string>();
  /** Ops the transaction added to the outbox, less those it cancelled. */
  pendingDelta = 0;

  /** Notes a change to `collection` that queued no op. */
  touch(collection: string): void {
    this.collections.add(collection);
  }

  /** Notes a write to `collection` and what queueing its op did to the outbox. */
  count(collection: string, kind: EnqueueResult['kind']): void {
    this.collections.add(collection);
    if (kind === 'appended') this.pendingDelta += 1;
    if (kind === 'cancelled') this.pendingDelta -= 1;
  }
}
