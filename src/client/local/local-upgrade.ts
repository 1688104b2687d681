// The local upgrade at open: storage written by an older app version is moved to the app's
// schema versions (records, queued ops, conflict versions) in one storage transaction.
import type {
  CollectionDefinition,
  ConflictInfo,
  OutboxOp,
  StorageAdapter,
  StorageTransaction,
  StoredRecord,
} from '../../core/index.js';
import { migrateClocks, migrateData, migratePatch } from '../../core/index.js';
import { Outbox } from '../../outbox/index.js';

/** Metadata key of the schema version each collection's stored data is at. */
export const SCHEMA_VERSIONS_META_KEY = 'schema.versions';

type Versions = Record<string, number>;

/**
 * Moves the data of every collection whose stored version differs from the app's to the app's
 * version: each record's data and field clocks, the remote side of its open conflict, and each
 * op's data, patch, changed fields and field clocks (dead letters too, so a retry sends them at
 * the app's version). The new versions are written in the same transaction, so a crash at any
 * point leaves the old data and versions whole, and the next open does it again. Data written
 * before versions were recorded counts as version 1. Resolves with the collections migrated.
 * @throws MigrationError `MIGRATION_FAILED` naming the collection and versions when a migration
 *   fails, or when the storage was written by a newer app version (an app rolled back: this
 *   build lacks the newer migrations); nothing was changed and the open fails.
 */
export async function upgradeLocalStorage(
  storage: StorageAdapter,
  collections: ReadonlyMap<string, CollectionDefinition>,
): Promise<string[]> {
  return storage.transaction('readwrite', async (tx) => {
    const stored = (await tx.getMeta<Versions>(SCHEMA_VERSIONS_META_KEY)) ?? {};
    const migrated: string[] = [];
    const next: Versions = { ...stored };
    for (const collection of collections.values()) {
      const from = Object.hasOwn(stored, collection.name) ? (stored[collection.name] ?? 1) : 1;
      if (from !== collection.version) {
        await migrateCollection(tx, collection, from);
        migrated.push(collection.name);
      }
      next[collection.name] = collection.version;
    }
    const known = [...collections.values()].every((c) => stored[c.name] === c.version);
    if (!known) await tx.setMeta(SCHEMA_VERSIONS_META_KEY, next);
    return migrated;
  });
}

async function migrateCollection(
  tx: StorageTransaction,
  collection: CollectionDefinition,
  from: number,
): Promise<void> {
  const to = collection.version;
  for (const record of await tx.listRecords(collection.name)) {
    await tx.putRecord(migrateRecord(collection, record, from, to));
  }
  const outbox = new Outbox(tx);
  const ops = await outbox.all(collection.name);
  await outbox.replace(ops.map((op) => migrateOp(collection, op, from, to)));
}

function migrateRecord(
  collection: CollectionDefinition,
  record: StoredRecord,
  from: number,
  to: number,
): StoredRecord {
  const data = migrateData(collection, record.data, from, to);
  const fieldClocks = migrateClocks(record.fieldClocks, data, record.hlc);
  const conflict = record.conflict ? migrateConflict(collection, record.conflict, from, to) : null;
  return { ...record, data, fieldClocks, conflict };
}

function migrateConflict(
  collection: CollectionDefinition,
  conflict: ConflictInfo,
  from: number,
  to: number,
): ConflictInfo {
  if (conflict.remote === null) return conflict;
  const remote = migrateData(collection, conflict.remote, from, to);
  const remoteFieldClocks = migrateClocks(conflict.remoteFieldClocks, remote, conflict.remoteHlc);
  return { ...conflict, remote, remoteFieldClocks };
}

function migrateOp(
  collection: CollectionDefinition,
  op: OutboxOp,
  from: number,
  to: number,
): OutboxOp {
  const data = op.data ? migrateData(collection, op.data, from, to) : op.data;
  const patch = op.patch ? migratePatch(collection, op.patch, from, to) : op.patch;
  const fields = patch ?? (op.type === 'insert' ? data : null);
  if (!fields) return { ...op, data };
  return {
    ...op,
    data,
    patch,
    changedFields: Object.keys(fields),
    fieldClocks: migrateClocks(op.fieldClocks, fields, op.hlc),
  };
}
