import type { PullResponse } from '../../core/index.js';
import type { EmitEvent } from '../client-context.js';

/**
 * The `progress` events of one pull run (issue 21): `done` counts the entries of the pages so
 * far, `total` is the server's `remaining` from the first page (at least `done`), and the last
 * page makes them equal. A run that changes nothing locally in one page (nothing new, or only
 * the echo of this device's own push) emits nothing: no `pull 0/0` after a push.
 */
export class PullProgress {
  readonly #emit: EmitEvent;
  readonly #pageSize: number;
  #done = 0;
  #total: number | undefined;
  #first = true;
  #emitted = false;

  /** `pageSize` is the pull page size asked for: the estimate before the server's count. */
  constructor(emit: EmitEvent, pageSize: number) {
    this.#emit = emit;
    this.#pageSize = pageSize;
  }

  /**
   * Accounts for one committed page and emits its event, if it brought anything; `changedSoFar`
   * is how many records the run has changed locally, this page included.
   */
  page(page: PullResponse, changedSoFar: number): void {
    if (this.#first) {
      this.#first = false;
      this.#total = page.remaining;
    }
    const entries = page.changes.length + (page.removed?.length ?? 0) + (page.skipped?.length ?? 0);
    this.#done += entries;
    if (this.#done === 0) return;
    if (entries === 0 && page.hasMore) return;
    if (!this.#emitted && !page.hasMore && changedSoFar === 0) return;
    this.#emitted = true;
    const estimate = this.#total ?? this.#done + (page.hasMore ? this.#pageSize : 0);
    const total = page.hasMore ? Math.max(this.#done, estimate) : this.#done;
    this.#emit('progress', { phase: 'pull', done: this.#done, total });
  }
}
