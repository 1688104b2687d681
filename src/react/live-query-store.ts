import type { Collection, CollectionRecord } from '../index.js';
import type { Query } from '../index.js';

/** Where a live query stands; see `useLiveQueryState`. */
export type LiveQueryStatus = 'loading' | 'ready' | 'error';

/** The state of a live query in a component; see `useLiveQueryState`. */
export interface LiveQueryState<T extends object> {
  /**
   * The latest rows. While a changed query loads (`status: 'loading'`) and after an error,
   * these are the previous query's rows; `undefined` only before the first result.
   */
  readonly rows: readonly CollectionRecord<T>[] | undefined;
  readonly status: LiveQueryStatus;
  /** Why the query failed, while `status` is `'error'`. */
  readonly error: Error | undefined;
}

/** The live state of one query, seeded with the rows of the query it replaces. */
export interface LiveQueryStore<T extends object> {
  subscribe(onChange: () => void): () => void;
  getSnapshot(): LiveQueryState<T>;
}

/** The state before any result, also on the server (SSR). */
export const INITIAL_STATE: LiveQueryState<never> = Object.freeze({
  rows: undefined,
  status: 'loading',
  error: undefined,
});

export function createLiveQueryStore<T extends object>(
  collection: Collection<T>,
  query: Query<T>,
  previousRows: readonly CollectionRecord<T>[] | undefined,
  catchRunErrors: boolean,
): LiveQueryStore<T> {
  let state: LiveQueryState<T> =
    previousRows === undefined
      ? INITIAL_STATE
      : { rows: previousRows, status: 'loading', error: undefined };
  const fail = (error: unknown, onChange: () => void): void => {
    const err = error instanceof Error ? error : new Error(String(error));
    state = { rows: state.rows, status: 'error', error: err };
    onChange();
  };
  return {
    subscribe(onChange) {
      try {
        return collection.subscribe(
          query,
          (rows) => {
            state = { rows, status: 'ready', error: undefined };
            onChange();
          },
          // Without catchRunErrors a failed run stays the client's `syncError`, as before.
          catchRunErrors ? { onError: (error) => fail(error, onChange) } : undefined,
        );
      } catch (error) {
        // A malformed query throws at subscribe: it becomes the error state, not a crash.
        fail(error, onChange);
        return () => undefined;
      }
    },
    getSnapshot: () => state,
  };
}
