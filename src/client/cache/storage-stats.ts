import type { CollectionDefinition, StorageTransaction } from '../../core/index.js';
import { readEvicted } from '../local/evicted-index.js';
import { Outbox } from '../../outbox/index.js';

/** What one collection holds on this device. */
export interface CollectionStorageStats {
  /** Records stored, including deletes waiting to sync and synced tombstones. */
  readonly records: number;
  /** Records the app can read (`find()` sees these): `records` minus deleted ones. */
  readonly live: number;
  /** Records in sync with the server. */
  readonly synced: number;
  /** Records with changes not yet acknowledged (dead-lettered ones included). */
  readonly pending: number;
  /** Records with an open conflict. */
  readonly conflicted: number;
  /** Records dropped by retention or `clearCache()` that `fetchRemote()` can bring back. */
  readonly evicted: number;
  /** Approximate size of the stored records: the length of their JSON. */
  readonly bytes: number;
}

/** What the outbox holds. */
export interface OutboxStorageStats {
  /** Ops waiting to be sent or acknowledged. */
  readonly pending: number;
  /** Ops the server rejected, kept until the app retries or discards them. */
  readonly deadLetters: number;
  /** Approximate size of every op: the length of their JSON. */
  readonly bytes: number;
}

/** Result of `client.storageStats()`. */
export interface StorageStats {
  /** Per registered collection. */
  readonly collections: Readonly<Record<string, CollectionStorageStats>>;
  readonly outbox: OutboxStorageStats;
  /** Sum of every collection's and the outbox's `bytes`. */
  readonly bytes: number;
}

const jsonLength = (value: unknown): number => JSON.stringify(value).length;

/** Counts what this device stores, in the caller's (readonly) transaction. */
export async function collectStorageStats(
  tx: StorageTransaction,
  collections: ReadonlyMap<string, CollectionDefinition>,
): Promise<StorageStats> {
  const perCollection: Record<string, CollectionStorageStats> = {};
  let bytes = 0;
  for (const name of collections.keys()) {
    let live = 0;
    let synced = 0;
    let pending = 0;
    let conflicted = 0;
    let size = 0;
    const records = await tx.listRecords(name);
    for (const record of records) {
      if (!record.deleted) live += 1;
      if (record.syncStatus === 'synced') synced += 1;
      else if (record.syncStatus === 'pending') pending += 1;
      else conflicted += 1;
      size += jsonLength(record);
    }
    // An evicted record may have come back with a pull since: count only those still gone.
    let evicted = 0;
    for (const serverId of (await readEvicted(tx, name)).keys()) {
      if (!(await tx.getRecordByServerId(name, serverId))) evicted += 1;
    }
    perCollection[name] = {
      records: records.length,
      live,
      synced,
      pending,
      conflicted,
      evicted,
      bytes: size,
    };
    bytes += size;
  }
  const ops = await new Outbox(tx).all();
  let outboxBytes = 0;
  let deadLetters = 0;
  for (const op of ops) {
    if (op.state === 'dead') deadLetters += 1;
    outboxBytes += jsonLength(op);
  }
  return {
    collections: perCollection,
    outbox: { pending: ops.length - deadLetters, deadLetters, bytes: outboxBytes },
    bytes: bytes + outboxBytes,
  };
}
