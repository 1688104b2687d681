import type { CollectionDefinition, SyncUser, WireRecord } from '../core/index.js';
import type { ServerRecord, ServerStore } from './server-store.js';

/** What the request handlers share: resolved options of one sync server. */
export interface ServerContext {
  readonly collections: ReadonlyMap<string, CollectionDefinition>;
  readonly store: ServerStore;
  readonly assignId: 'client' | 'server';
  readonly maxOpsPerBatch: number;
  readonly maxPullLimit: number;
  readonly maxClockDriftMs: number;
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

/** The wire form of a stored record (the owner stays on the server). */
export function toWireRecord(record: ServerRecord): WireRecord {
  return {
    collection: record.collection,
    id: record.id,
    version: record.version,
    data: record.data,
    hlc: record.hlc,
    fieldClocks: record.fieldClocks,
    deleted: record.deleted,
    updatedAt: record.updatedAt,
    originClientId: record.originClientId,
    originId: record.originId,
  };
}
