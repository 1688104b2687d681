/**
 * Live queries: each subscription re-runs its query after every committed change to its
 * collection. Runs never overlap per subscription; changes that arrive during a run cause
 * exactly one more run, so the last callback always reflects the latest commit. A failed run
 * goes to the subscription's own error callback when it has one, else to the client's
 * `syncError`; the next change runs the query again.
 */
export class LiveQueries {
  readonly #subs = new Map<string, Set<Subscription>>();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  add(
    collection: string,
    run: () => Promise<unknown[]>,
    callback: (rows: unknown[]) => void,
    onError?: (error: unknown) => void,
  ): () => void {
    const sub = new Subscription(run, callback, onError ?? this.#onError);
    let set = this.#subs.get(collection);
    if (!set) {
      set = new Set();
      this.#subs.set(collection, set);
    }
    set.add(sub);
    sub.schedule();
    return () => {
      sub.active = false;
      set.delete(sub);
    };
  }

  notify(collections: Iterable<string>): void {
    for (const c of collections) for (const sub of this.#subs.get(c) ?? []) sub.schedule();
  }

  clear(): void {
    for (const set of this.#subs.values()) for (const sub of set) sub.active = false;
    this.#subs.clear();
  }
}

class Subscription {
  active = true;
  #running = false;
  #again = false;

  constructor(
    readonly run: () => Promise<unknown[]>,
    readonly callback: (rows: unknown[]) => void,
    readonly onError: (error: unknown) => void,
  ) {}

  schedule(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    void this.#loop();
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#again = false;
        const rows = await this.run();
        if (!this.active) return;
        this.callback(rows);
      } while (this.#again && this.active);
    } catch (error) {
      if (this.active) this.onError(error);
    } finally {
      this.#running = false;
    }
  }
}
