import type { z } from '../../core/schema-types.js';
import type { CollectionDefinition, RecordData } from '../../core/index.js';
import type { Collection } from './collection-handle.js';
import type { WriteContext } from './write-context.js';

/** Handle for writes inside `client.transaction()`. */
export interface TransactionContext {
  /**
   * The collection, bound to this transaction, by its definition (record type inferred from
   * the schema, like `client.collection(def)`) or by name. Reads see the transaction's own writes.
   * @throws TidesyncError `UNKNOWN_COLLECTION` when it was not passed to `createSyncClient()`.
   */
  collection<S extends z.ZodObject>(
    definition: CollectionDefinition<S>,
  ): TransactionCollection<z.infer<S>>;
  /** The collection by name, typed as `T`. */
  collection<T extends object = RecordData>(name: string): TransactionCollection<T>;
}

/** Writes and reads of one collection inside a transaction. */
export type TransactionCollection<T extends object = RecordData> = Pick<
  Collection<T>,
  'insert' | 'update' | 'delete' | 'get'
>;

/** The name of a collection given by name or by definition. */
export function collectionName(nameOrDefinition: string | CollectionDefinition): string {
  return typeof nameOrDefinition === 'string' ? nameOrDefinition : nameOrDefinition?.name;
}

/**
 * The {@link TransactionContext} over the writes of `w`. `check` runs first for each
 * collection asked for (the client's `collection()`: it throws for an unknown one).
 */
export function createTransactionContext(
  w: WriteContext,
  check: (name: string) => unknown,
): TransactionContext {
  return {
    collection: (nameOrDefinition: string | CollectionDefinition): TransactionCollection => {
      const name = collectionName(nameOrDefinition);
      check(name);
      return {
        insert: (value) => w.insert(name, value) as Promise<never>,
        update: (id, patch) => w.update(name, id, patch) as Promise<never>,
        delete: (id) => w.delete(name, id),
        get: async (id) => (await w.get(name, id)) as never,
      };
    },
  } as TransactionContext;
}
