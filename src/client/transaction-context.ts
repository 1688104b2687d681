import type { RecordData } from '../core/index.js';
import type { Collection } from './collection-handle.js';
import type { WriteContext } from './write-context.js';

/** Handle for writes inside `client.transaction()`. */
export interface TransactionContext {
  /** The collection, bound to this transaction. Reads see the transaction's own writes. */
  collection<T extends object = RecordData>(name: string): TransactionCollection<T>;
}

/** Writes and reads of one collection inside a transaction. */
export type TransactionCollection<T extends object = RecordData> = Pick<
  Collection<T>,
  'insert' | 'update' | 'delete' | 'get'
>;

/**
 * The {@link TransactionContext} over the writes of `w`. `check` runs first for each
 * collection asked for (the client's `collection()`: it throws for an unknown one).
 */
export function createTransactionContext(
  w: WriteContext,
  check: (name: string) => unknown,
): TransactionContext {
  return {
    collection: <T extends object>(name: string): TransactionCollection<T> => {
      check(name);
      return {
        insert: (value) => w.insert(name, value) as Promise<never>,
        update: (id, patch) => w.update(name, id, patch) as Promise<never>,
        delete: (id) => w.delete(name, id),
        get: async (id) => (await w.get(name, id)) as never,
      };
    },
  };
}
