// What the feed pull and the sync-set pull share: the guard against a server that keeps
// answering the same cursor with more data, and applying one page's entries.
import type { PullResponse, StorageTransaction, WireRecord } from '../../core/index.js';
import { TidesyncError } from '../../core/index.js';
import type { ClientContext, EmitEvent } from '../client-context.js';
import { applyRemovals } from './pull-removals.js';

const MAX_SAME_CURSOR_PAGES = 3;

/** Counts pages answered with the cursor they were asked with while the server says `hasMore`. */
export class StuckCursorGuard {
  readonly #message: (times: number) => string;
  #same = 0;

  /** `message` words the `SYNC_STUCK` error for the number of such pages in a row. */
  constructor(message: (times: number) => string) {
    this.#message = message;
  }

  /**
   * Notes `page`, asked for after `cursor`.
   * @throws TidesyncError `SYNC_STUCK` after three such pages in a row
   */
  check(page: PullResponse, cursor: string | null): void {
    if (page.cursor !== cursor || !page.hasMore) {
      this.#same = 0;
      return;
    }
    this.#same += 1;
    if (this.#same >= MAX_SAME_CURSOR_PAGES) {
      throw new TidesyncError('SYNC_STUCK', this.#message(this.#same));
    }
  }
}

/**
 * Applies a page's changes with `apply` (true when it changed something locally) and its
 * removals, in `tx`, counting them into `tally`.
 */
export async function applyPageEntries(
  ctx: ClientContext,
  tx: StorageTransaction,
  page: PullResponse,
  tally: { pulled: number; readonly changed: Set<string> },
  apply: (change: WireRecord) => Promise<boolean>,
  emit: EmitEvent,
): Promise<void> {
  for (const change of page.changes) {
    if (await apply(change)) {
      tally.pulled += 1;
      tally.changed.add(change.collection);
    }
  }
  if (page.removed) {
    for (const name of await applyRemovals(ctx, tx, page.removed, emit)) tally.changed.add(name);
  }
}
