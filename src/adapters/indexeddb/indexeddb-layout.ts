/**
 * The object stores and indexes of a tidesync IndexedDB database, and the steps that create or
 * upgrade them. The IndexedDB database version is the layout version.
 *
 * Layout history:
 * - v1: `records` (key `[collection, id]`, index `byCollection`), `ops` (key `opId`, index
 *   `bySeq`), `meta` (out-of-line string keys).
 * - v2: adds `records.byServerId` (`[collection, serverId]`), `ops.byRecord`
 *   (`[collection, id]`) and `ops.byState` (`state`). IndexedDB builds the new indexes over the
 *   rows already stored, so no data is copied or dropped.
 * - v3: adds `ops.byStateSeq` (`[state, seq]`), so the oldest ops in a state are read a page
 *   at a time instead of all at once.
 */

/** The layout version this code writes and expects. */
export const LAYOUT_VERSION = 3;

/** Object store of records, keyed by `[collection, id]`. */
export const RECORDS = 'records';
/** Object store of outbox ops, keyed by `opId`. */
export const OPS = 'ops';
/** Object store of metadata values, with out-of-line string keys. */
export const META = 'meta';

/** Every store; read-write transactions lock all of them so they never interleave. */
export const ALL_STORES = [RECORDS, OPS, META] as const;

/** Index of `records` on `collection` (v1). */
export const RECORDS_BY_COLLECTION = 'byCollection';
/** Index of `records` on `[collection, serverId]`; rows with a null serverId are absent (v2). */
export const RECORDS_BY_SERVER_ID = 'byServerId';
/** Index of `ops` on `seq` (v1). */
export const OPS_BY_SEQ = 'bySeq';
/** Index of `ops` on `[collection, id]` (v2). */
export const OPS_BY_RECORD = 'byRecord';
/** Index of `ops` on `state` (v2). */
export const OPS_BY_STATE = 'byState';
/** Index of `ops` on `[state, seq]` (v3). */
export const OPS_BY_STATE_SEQ = 'byStateSeq';

/**
 * Brings the layout from `oldVersion` to {@link LAYOUT_VERSION}, one step at a time, inside the
 * `versionchange` transaction of `onupgradeneeded`. Steps only add; they never drop data.
 */
export function upgradeLayout(
  db: IDBDatabase,
  transaction: IDBTransaction,
  oldVersion: number,
): void {
  for (let version = oldVersion; version < LAYOUT_VERSION; version++) {
    switch (version) {
      case 0:
        createV1(db);
        break;
      case 1:
        upgradeV1ToV2(transaction);
        break;
      case 2:
        transaction.objectStore(OPS).createIndex(OPS_BY_STATE_SEQ, ['state', 'seq']);
        break;
      default:
        throw new Error(`No IndexedDB layout upgrade step from version ${version}.`);
    }
  }
}

function createV1(db: IDBDatabase): void {
  const records = db.createObjectStore(RECORDS, { keyPath: ['collection', 'id'] });
  records.createIndex(RECORDS_BY_COLLECTION, 'collection');
  const ops = db.createObjectStore(OPS, { keyPath: 'opId' });
  ops.createIndex(OPS_BY_SEQ, 'seq');
  db.createObjectStore(META);
}

function upgradeV1ToV2(transaction: IDBTransaction): void {
  // Records without a serverId (null) are left out of this index by IndexedDB itself, because
  // null is not a valid key: exactly the lookups we need. Not unique: the contract does not ask
  // the adapter to police serverId uniqueness, and a unique index would abort whole writes.
  transaction.objectStore(RECORDS).createIndex(RECORDS_BY_SERVER_ID, ['collection', 'serverId']);
  const ops = transaction.objectStore(OPS);
  ops.createIndex(OPS_BY_RECORD, ['collection', 'id']);
  ops.createIndex(OPS_BY_STATE, 'state');
}
