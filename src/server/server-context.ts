import type { CollectionDefinition, SyncUser, WireRecord } from '../core/index.js';
import type { ServerRecord, ServerStore } from './server-store.js';

/** What the request handlers share: resolved options of one sync server. */
export interface ServerContext {
  readonly collections: ReadonlyMap<string, CollectionDefinition>;
  readonly store: ServerStore;
  readonly assignId: 'client' | 'server';
  readonly maxOpsPerBatch: number;
  readonly maxPullLimit: number;
  readonly maxPullPageBytes: number;
  readonly maxRecordBytes: number;
  readonly maxClockDriftMs: number;
  readonly cursorSecret: string;
  readonly maxFormerStates: number;
  /** Values at most in one sync set's `in` list (docs/sync-sets.md). */
  readonly maxSetValues: number;
  readonly now: () => number;
}

/** Whether `user` may read and write `record` of `collection` (its scope, else ownership). */
export function isInScope(
  collection: CollectionDefinition,
  record: Pick<ServerRecord, 'data' | 'ownerId'>,
  user: SyncUser,
): boolean {
  if (collection.scope)
    return collection.scope({ data: record.data, ownerId: record.ownerId }, user) === true;
  return record.ownerId === user.userId;
}

/**
 * The wire form of a stored record for the client `clientId` (the owner stays on the server).
 * The origin (`originClientId`, `originId`) only goes to the client that created the record,
 * so it can match its own echo: other devices never learn another device's ids. A tombstone
 * carries no data and no field clocks: only what a device needs to apply the delete.
 * `schemaVersion`, when given, tags the record with the schema version its data is at.
 */
export function toWireRecord(
  record: ServerRecord,
  clientId: string,
  schemaVersion?: number,
): WireRecord {
  const own = record.originClientId !== null && record.originClientId === clientId;
  const wire: { -readonly [K in keyof WireRecord]: WireRecord[K] } = {
    collection: record.collection,
    id: record.id,
    version: record.version,
    data: record.deleted ? {} : record.data,
    hlc: record.hlc,
    fieldClocks: record.deleted ? {} : record.fieldClocks,
    deleted: record.deleted,
    updatedAt: record.updatedAt,
    originClientId: own ? record.originClientId : null,
    originId: own ? record.originId : null,
  };
  // Set here rather than by a copy of the whole record afterwards (once per pushed op).
  if (schemaVersion !== undefined) wire.schemaVersion = schemaVersion;
  return wire;
}

/**
 * A record as it is stored: a tombstone keeps no field clocks and no data (deletes delete
 * content), whatever the write that made it carried. Only in a collection with a `scope`
 * function does it keep its last data, on the server alone: the scope needs it to decide who
 * is told about the delete (never sent; see {@link toWireRecord}).
 */
export function toStoredRecord(
  collection: CollectionDefinition,
  record: ServerRecord,
): ServerRecord {
  if (!record.deleted) return record;
  const data = collection.scope ? record.data : {};
  if (data === record.data && Object.keys(record.fieldClocks).length === 0) return record;
  return { ...record, data, fieldClocks: {} };
}
