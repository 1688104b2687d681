import type { ConflictInfo, FieldClocks, RecordData, StoredRecord } from '../../core/index.js';
import { createId } from '../../core/index.js';
import type { NewOp } from '../../outbox/index.js';

/** A local write as stored: the record and the op that syncs it. */
export interface LocalChange {
  readonly record: StoredRecord;
  readonly op: NewOp;
}

/** The fields a write of `values` changes (its keys), each with the clock `hlc`. */
function changeOf(values: RecordData, hlc: string): { fields: string[]; clocks: FieldClocks } {
  const fields = Object.keys(values);
  const clocks: FieldClocks = {};
  for (const field of fields) clocks[field] = hlc;
  return { fields, clocks };
}

/** The fields of an update op: the new `data`, the `patch`, the changed `fields` and their clocks. */
interface OpUpdate {
  readonly data: RecordData;
  readonly patch: RecordData;
  readonly fields: string[];
  readonly clocks: FieldClocks;
}

/**
 * The op of a local write to `current`, a record of `collection`, made on `baseVersion` at
 * `hlc`: an update with `update`, a delete without it.
 */
function opOn(
  collection: string,
  current: StoredRecord,
  baseVersion: number,
  hlc: string,
  update?: OpUpdate,
): NewOp {
  return {
    collection,
    id: current.id,
    serverId: current.serverId,
    type: update ? 'update' : 'delete',
    data: update ? update.data : null,
    patch: update ? update.patch : null,
    changedFields: update ? update.fields : [],
    baseVersion,
    hlc,
    fieldClocks: update ? update.clocks : {},
  };
}

/** A new local record, never synced, and its insert op; every field has the clock `hlc`. */
export function newInsert(
  collection: string,
  data: RecordData,
  hlc: string,
  now: number,
): LocalChange {
  const { fields, clocks: fieldClocks } = changeOf(data, hlc);
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
  const { fields, clocks } = changeOf(patch, hlc);
  return {
    record: {
      ...current,
      data,
      hlc,
      fieldClocks: { ...current.fieldClocks, ...clocks },
      updatedAt: now,
      accessedAt: now,
      syncStatus: current.syncStatus === 'conflicted' ? 'conflicted' : 'pending',
    },
    op: opOn(collection, current, current.version, hlc, { data, patch, fields, clocks }),
  };
}

/** The delete op of `current`, a record of `collection`. */
export function newDeleteOp(collection: string, current: StoredRecord, hlc: string): NewOp {
  return opOn(collection, current, current.version, hlc);
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
  const { fields, clocks } = changeOf(data, hlc);
  // The server's side as the base, then this write on top of it.
  const remote = adoptedRemote(current, conflict, data, deleted, now);
  return {
    record: {
      ...remote,
      hlc,
      fieldClocks: { ...conflict.remoteFieldClocks, ...clocks },
      syncStatus: 'pending',
    },
    op: opOn(
      collection,
      current,
      conflict.remoteVersion,
      hlc,
      deleted ? undefined : { data, patch: data, fields, clocks },
    ),
  };
}
