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

/** `current` with `changes`, written at `now` with the clock `hlc`. */
function rewritten(
  current: StoredRecord,
  changes: Partial<Omit<StoredRecord, 'hlc' | 'updatedAt' | 'accessedAt'>>,
  hlc: string,
  now: number,
): StoredRecord {
  return { ...current, ...changes, hlc, updatedAt: now, accessedAt: now };
}

/** The op of a local write to `current`, a record of `collection`. */
function opFor(
  collection: string,
  current: StoredRecord,
  op: Omit<NewOp, 'collection' | 'id' | 'serverId'>,
): NewOp {
  return { collection, id: current.id, serverId: current.serverId, ...op };
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
    record: rewritten(
      current,
      {
        data,
        fieldClocks: { ...current.fieldClocks, ...opClocks },
        syncStatus: current.syncStatus === 'conflicted' ? 'conflicted' : 'pending',
      },
      hlc,
      now,
    ),
    op: opFor(collection, current, {
      type: 'update',
      data,
      patch,
      changedFields: changed,
      baseVersion: current.version,
      hlc,
      fieldClocks: opClocks,
    }),
  };
}

/** The delete op of `current`, a record of `collection`. */
export function newDeleteOp(collection: string, current: StoredRecord, hlc: string): NewOp {
  return opFor(collection, current, {
    type: 'delete',
    data: null,
    patch: null,
    changedFields: [],
    baseVersion: current.version,
    hlc,
    fieldClocks: {},
  });
}

/** `current` as a tombstone waiting for its delete op to sync. */
export function deletedRecord(current: StoredRecord, hlc: string, now: number): StoredRecord {
  return rewritten(current, { deleted: true, syncStatus: 'pending' }, hlc, now);
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
  return rewritten(
    current,
    {
      data,
      deleted,
      version: conflict.remoteVersion,
      fieldClocks: conflict.remoteFieldClocks,
      syncStatus: 'synced',
      conflict: null,
    },
    conflict.remoteHlc,
    now,
  );
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
    record: rewritten(
      current,
      {
        data,
        deleted,
        version: conflict.remoteVersion,
        fieldClocks: { ...conflict.remoteFieldClocks, ...clocks },
        syncStatus: 'pending',
        conflict: null,
      },
      hlc,
      now,
    ),
    op: opFor(collection, current, {
      type: deleted ? 'delete' : 'update',
      data: deleted ? null : data,
      patch: deleted ? null : data,
      changedFields: deleted ? [] : fields,
      baseVersion: conflict.remoteVersion,
      hlc,
      fieldClocks: deleted ? {} : clocks,
    }),
  };
}
