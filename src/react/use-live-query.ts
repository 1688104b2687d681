import { useMemo, useSyncExternalStore } from 'react';
import type { Collection, CollectionRecord } from '../client/index.js';
import type { Query } from '../core/index.js';

/** The rows of a live query, kept between renders and updated by the collection's subscription. */
interface LiveQueryStore<T extends object> {
  subscribe(onChange: () => void): () => void;
  getSnapshot(): readonly CollectionRecord<T>[] | undefined;
}

function createLiveQueryStore<T extends object>(
  collection: Collection<T>,
  query: Query,
): LiveQueryStore<T> {
  let rows: readonly CollectionRecord<T>[] | undefined;
  return {
    subscribe(onChange) {
      return collection.subscribe(query, (next) => {
        rows = next;
        onChange();
      });
    },
    getSnapshot: () => rows,
  };
}

/**
 * Subscribes a component to a live query: it re-renders with the matching rows after every
 * committed change to the collection, local or pulled from the server. Returns `undefined`
 * until the first result arrives (reads are asynchronous), then the rows.
 *
 * The query is compared by value (`JSON.stringify`), so an inline object literal does not
 * resubscribe on every render. Pass the same `Collection` handle between renders
 * (`client.collection('todos')` returns a cached handle, so calling it in render is fine).
 * On the server (SSR) it returns `undefined`.
 *
 * @example
 * function OpenTodos({ client }: { client: SyncClient }) {
 *   const todos = useLiveQuery(client.collection<Todo>('todos'), {
 *     where: { done: false },
 *     orderBy: [['updatedAt', 'desc']],
 *   });
 *   if (!todos) return <p>Loading…</p>;
 *   return <ul>{todos.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;
 * }
 * @throws TidesyncError `INVALID_OPTION` for a malformed query, when the subscription starts
 *   (like `collection.subscribe()`); an error boundary catches it.
 */
export function useLiveQuery<T extends object>(
  collection: Collection<T>,
  query: Query = {},
): readonly CollectionRecord<T>[] | undefined {
  const key = JSON.stringify(query);
  // The store is keyed by the query's value, not its identity: `key` stands for `query`.
  const store = useMemo(() => createLiveQueryStore(collection, query), [collection, key]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, serverSnapshot);
}

function serverSnapshot(): undefined {
  return undefined;
}
