// Records a server stored before a deploy keep their old shape in the store; they are moved to
// the current schema version when read (by a push that changes them, or a pull that sends them).
import type { CollectionDefinition, RecordData } from '../core/index.js';
import { MigrationError, migrateClocks, migrateData } from '../core/index.js';
import { schemasOf } from './op-plan.js';
import { RequestRefusedError } from './replies.js';
import type { ServerContext } from './server-context.js';
import type { ServerRecord, ServerStoreTransaction } from './server-store.js';
import { withMethodOverrides } from './method-overrides.js';

/**
 * The schema version stored `data` is at: the current version when it passes the current
 * schema (or has no fields, a tombstone), else the highest older version from which the
 * migrations produce data that does, else `undefined`: data no version of this build explains,
 * written by a newer deploy (or not valid at all).
 */
export function storedVersionOf(
  collection: CollectionDefinition,
  data: RecordData,
): number | undefined {
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
  return undefined;
}

/**
 * The refusal for a record no version of this build explains: during a rolling deploy, an
 * instance still on the older version meets a record a newer instance wrote. The client keeps
 * its ops and cursor and asks again (another instance, or this one once it is updated).
 */
export function newerRecordRefusal(
  collection: CollectionDefinition,
  id: string,
): RequestRefusedError {
  return new RequestRefusedError(
    409,
    'server_too_old',
    `Record \`${id}\` of \`${collection.name}\` does not match schema version ${collection.version} or any older version this server knows: it was written by a newer deploy. Nothing was applied; retry once every server runs the newer version.`,
  );
}

/**
 * `record` with its data and field clocks at the current schema version of its collection.
 * @throws RequestRefusedError 409 `server_too_old` for a record of a newer version.
 */
export function atCurrentVersion(ctx: ServerContext, record: ServerRecord): ServerRecord {
  const collection = ctx.collections.get(record.collection);
  if (!collection) return record;
  const from = storedVersionOf(collection, record.data);
  if (from === undefined) throw newerRecordRefusal(collection, record.id);
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
  return withMethodOverrides(tx, {
    getRecord: async (collection, id) => {
      const record = await tx.getRecord(collection, id);
      return record && atCurrentVersion(ctx, record);
    },
    getRecordByOrigin: async (collection, originClientId, originId) => {
      const record = await tx.getRecordByOrigin(collection, originClientId, originId);
      return record && atCurrentVersion(ctx, record);
    },
  });
}
