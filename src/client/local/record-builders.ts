import type { ConflictInfo, FieldClocks, RecordData, StoredRecord } from '../../core/index.js';
import { createId } from '../../core/index.js';
import type { NewOp } from '../../outbox/index.js';

/** A local write as stored: the record and the op that syncs it. */
export interface LocalChange {
  readonly record: StoredRecord;
  readonly op: NewOp;
}

/** The same clock `hlc` for each of `fields`. */
function clocksOf(fields: readonly string[], hlc: string): FieldClocks {
  const clocks: FieldClocks = {};
  for (const field of fields) clocks[field] = hlc;
  return clocks;
}

/** A new local record, never synced, and its insert op; every field has the clock `hlc`. */
export function newInsert(
  collection: string,
  data: RecordData,
  hlc: string,
  now: number,
): LocalChange {
  const fields = Object.keys(data);
  const fieldClocks = clocksOf(fields, hlc);
  const id = createId();
  return {
    record: {
      collection,
      id,
      serverId: null,
      data,
      version: 0,
      hlc,
      fieldClocks,
      updatedAt: now,
      accessedAt: now,
      syncStatus: 'pending',
      deleted: false,
      conflict: null,
    },
    op: {
      collection,
      id,
      serverId: null,
      type: 'insert',
      data,
      patch: null,
      changedFields: fields,
      baseVersion: 0,
      hlc,
      fieldClocks,
    },
  };
}

/**
 * `current`, a record of `collection`, after a local update with `patch` (validated), now holding `data` (the merged,
 * validated record), and its update op; the patched fields get the clock `hlc`. An open
 * conflict stays open.
 */
export function newUpdate(
  collection: string,
  current: StoredRecord,
  data: RecordData,
  patch: RecordData,
  hlc: string,
  now: number,
): LocalChange {
  const changed = Object.keys(patch);
  const opClocks = clocksOf(changed, hlc);
  return {
    record: {
      ...current,
      data,
      hlc,
      fieldClocks: { ...current.fieldClocks, ...opClocks },
      updatedAt: now,
      accessedAt: now,
      syncStatus: current.syncStatus === 'conflicted' ? 'conflicted' : 'pending',
    },
    op: {
      collection,
      id: current.id,
      serverId: current.serverId,
      type: 'update',
      data,
      patch,
      changedFields: changed,
      baseVersion: current.version,
      hlc,
      fieldClocks: opClocks,
    },
  };
}

/** The delete op of `current`, a record of `collection`. */
export function newDeleteOp(collection: string, current: StoredRecord, hlc: string): NewOp {
  return {
    collection,
    id: current.id,
    serverId: current.serverId,
    type: 'delete',
    data: null,
    patch: null,
    changedFields: [],
    baseVersion: current.version,
    hlc,
    fieldClocks: {},
  };
}

/** `current` as a tombstone waiting for its delete op to sync. */
export function deletedRecord(current: StoredRecord, hlc: string, now: number): StoredRecord {
  return {
    ...current,
    deleted: true,
    hlc,
    updatedAt: now,
    accessedAt: now,
    syncStatus: 'pending',
  };
}

/**
 * `current` settled to the server's side of `conflict`: `data` (its fields, or the local
 * ones kept under a delete), synced, with no new op.
 */
export function adoptedRemote(
  current: StoredRecord,
  conflict: ConflictInfo,
  data: RecordData,
  deleted: boolean,
  now: number,
): StoredRecord {
  return {
    ...current,
    data,
    deleted,
    version: conflict.remoteVersion,
    hlc: conflict.remoteHlc,
    fieldClocks: conflict.remoteFieldClocks,
    syncStatus: 'synced',
    conflict: null,
    updatedAt: now,
    accessedAt: now,
  };
}

/**
 * `current`, a record of `collection`, settled to `data` as a new local write based on the server's version in
 * `conflict` (`deleted` deletes it), and its op; every field of `data` gets the clock `hlc`.
 */
export function newResolution(
  collection: string,
  current: StoredRecord,
  conflict: ConflictInfo,
  data: RecordData,
  deleted: boolean,
  hlc: string,
  now: number,
): LocalChange {
  const fields = Object.keys(data);
  const clocks = clocksOf(fields, hlc);
  return {
    record: {
      ...current,
      data,
      deleted,
      version: conflict.remoteVersion,
      hlc,
      fieldClocks: { ...conflict.remoteFieldClocks, ...clocks },
      syncStatus: 'pending',
      conflict: null,
      updatedAt: now,
      accessedAt: now,
    },
    op: {
      collection,
      id: current.id,
      serverId: current.serverId,
      type: deleted ? 'delete' : 'update',
      data: deleted ? null : data,
      patch: deleted ? null : data,
      changedFields: deleted ? [] : fields,
      baseVersion: conflict.remoteVersion,
      hlc,
      fieldClocks: deleted ? {} : clocks,
    },
  };
}
