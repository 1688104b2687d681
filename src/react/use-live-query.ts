import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import type { Collection, CollectionRecord } from '../index.js';
import type { Query } from '../index.js';
import { INITIAL_STATE, createLiveQueryStore, type LiveQueryState } from './live-query-store.js';

/**
 * Subscribes a component to a live query and returns its state: `{ rows, status, error }`.
 * `status` is `'loading'` until the first result of the current query, `'ready'` after it,
 * `'error'` when the query is malformed or a run failed. When the query changes, `rows` keeps
 * the previous query's rows while the new one loads, so a list does not flash empty.
 *
 * The query is compared by value (`JSON.stringify`), so an inline object literal does not
 * resubscribe on every render. On the server (SSR) it returns `{ rows: undefined, status: 'loading' }`.
 *
 * @example
 * function OpenTodos({ client }: { client: SyncClient }) {
 *   const { rows, status, error } = useLiveQueryState(client.collection(todos), {
 *     where: { done: false },
 *   });
 *   if (status === 'error') return <p role="alert">{error?.message}</p>;
 *   if (!rows) return <p>Loading…</p>;
 *   return <ul aria-busy={status === 'loading'}>{rows.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;
 * }
 */
export function useLiveQueryState<T extends object>(
  collection: Collection<T>,
  query: NoInfer<Query<T>> = {},
): LiveQueryState<T> {
  return useLiveQueryStore(collection, query, true);
}

function useLiveQueryStore<T extends object>(
  collection: Collection<T>,
  query: Query<T>,
  catchRunErrors: boolean,
): LiveQueryState<T> {
  const key = JSON.stringify(query);
  const shown = useRef<readonly CollectionRecord<T>[] | undefined>(undefined);
  // The store is keyed by the query's value, not its identity: `key` stands for `query`.
  const store = useMemo(
    () => createLiveQueryStore(collection, query, shown.current, catchRunErrors),
    [collection, key, catchRunErrors],
  );
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot, serverSnapshot);
  useEffect(() => {
    shown.current = state.rows;
  }, [state.rows]);
  return state;
}

/**
 * Subscribes a component to a live query: it re-renders with the matching rows after every
 * committed change to the collection, local or pulled from the server. Returns `undefined`
 * until the first result arrives (reads are asynchronous), then the rows; after the query
 * changes, the previous rows until the new ones arrive. For a loading or error state use
 * {@link useLiveQueryState}.
 *
 * The query is compared by value (`JSON.stringify`), so an inline object literal does not
 * resubscribe on every render. Pass the same `Collection` handle between renders
 * (`client.collection('todos')` returns a cached handle, so calling it in render is fine).
 * On the server (SSR) it returns `undefined`.
 *
 * @example
 * function OpenTodos({ client }: { client: SyncClient }) {
 *   const todos = useLiveQuery(client.collection(todos), {
 *     where: { done: false },
 *     orderBy: [['updatedAt', 'desc']],
 *   });
 *   if (!todos) return <p>Loading…</p>;
 *   return <ul>{todos.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;
 * }
 * @throws TidesyncError `INVALID_QUERY` / `INVALID_OPTION` for a malformed query, when the
 *   subscription starts (like `collection.subscribe()`); an error boundary catches it.
 */
export function useLiveQuery<T extends object>(
  collection: Collection<T>,
  query: NoInfer<Query<T>> = {},
): readonly CollectionRecord<T>[] | undefined {
  const state = useLiveQueryStore(collection, query, false);
  // Only a query refused at subscribe gets here (run errors stay `syncError`): as before.
  if (state.status === 'error') throw state.error;
  return state.rows;
}

function serverSnapshot(): LiveQueryState<never> {
  return INITIAL_STATE;
}
