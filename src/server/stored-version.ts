// Records a server stored before a deploy keep their old shape in the store; they are moved to
// the current schema version when read (by a push that changes them, or a pull that sends them).
import type { CollectionDefinition, RecordData } from '../core/index.js';
import { MigrationError, migrateClocks, migrateData } from '../core/index.js';
import { schemasOf } from './op-plan.js';
import type { ServerContext } from './server-context.js';
import type { ServerRecord, ServerStoreTransaction } from './server-store.js';

/**
 * The schema version stored `data` is at: the current version when it passes the current
 * schema, else the highest older version from which the migrations produce data that does,
 * else (data no version explains, a tombstone without fields) the current version.
 */
export function storedVersionOf(collection: CollectionDefinition, data: RecordData): number {
  if (collection.version === 1 || Object.keys(data).length === 0) return collection.version;
  const strict = schemasOf(collection).strict;
  if (strict.safeParse(data).success) return collection.version;
  for (let from = collection.version - 1; from >= 1; from--) {
    try {
      if (strict.safeParse(migrateData(collection, data, from, collection.version)).success)
        return from;
    } catch (error) {
      if (!(error instanceof MigrationError)) throw error;
    }
  }
  return collection.version;
}

/** `record` with its data and field clocks at the current schema version of its collection. */
export function atCurrentVersion(ctx: ServerContext, record: ServerRecord): ServerRecord {
  const collection = ctx.collections.get(record.collection);
  if (!collection) return record;
  const from = storedVersionOf(collection, record.data);
  if (from === collection.version) return record;
  // storedVersionOf ran these migrations on this data already: they do not throw here.
  const data = migrateData(collection, record.data, from, collection.version);
  return { ...record, data, fieldClocks: migrateClocks(record.fieldClocks, data, record.hlc) };
}

/**
 * `tx` whose record reads return records at the current schema version, so an op applies to
 * (and merges with) data of its own shape, and the record it writes is at the current version.
 */
export function currentVersionReads(
  ctx: ServerContext,
  tx: ServerStoreTransaction,
): ServerStoreTransaction {
  return new Proxy(tx, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'getRecord' || property === 'getRecordByOrigin') {
        return async (...args: unknown[]) => {
          const record = (await (
            value as (...a: unknown[]) => Promise<ServerRecord | undefined>
          ).apply(target, args)) as ServerRecord | undefined;
          return record && atCurrentVersion(ctx, record);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
