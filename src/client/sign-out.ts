import type { CollectionDefinition, StorageAdapter, StorageTransaction } from '../core/index.js';
import { TidesyncError, describeValue } from '../core/index.js';
import { Outbox, PUSH_SEQ_META_KEY, SEQ_META_KEY } from '../outbox/index.js';
import { writeEvicted } from './local/evicted-index.js';
import { CURSOR_META_KEY } from './sync/pull.js';
import { APPLIED_SEQ_META_KEY } from './sync/applied-seq.js';
import { HLC_META_KEY } from './local/transaction-clock.js';
import { DELETED_CONFLICTS_META_KEY } from './local/deleted-conflicts.js';
import { SYNC_SETS_META_KEY, SYNC_SETS_SWEEP_META_KEY } from './sync/sync-set-records.js';

/** Options of `client.signOut()`. */
export interface SignOutOptions {
  /**
   * Delete this user's records, outbox, conflicts and sync state from the storage, in one
   * transaction, after pushing what is pending. `false` pushes what it can and closes the
   * client, leaving everything in this user's storage for their next sign-in. @default true
   */
  readonly wipe?: boolean;
  /**
   * With `wipe`, wipe even when work is still unsynced (the push failed, or dead letters or
   * conflicts remain): that work is lost. @default false
   */
  readonly discardUnsynced?: boolean;
}

/** What `client.signOut()` did. */
export interface SignOutResult {
  /** Whether the storage was wiped. */
  readonly wiped: boolean;
  /** Unsynced ops and conflicts dropped by `discardUnsynced` (0 otherwise). */
  readonly discarded: number;
  /** Unsynced ops and conflicts left in the storage (only with `wipe: false`). */
  readonly unsynced: number;
}

/** What a sign-out needs from the client. */
export interface SignOutHost {
  readonly storage: StorageAdapter;
  readonly collections: readonly CollectionDefinition[];
  /** `client.sync()`. */
  readonly sync: () => Promise<unknown>;
  /** Stops triggers and sync runs and waits for the run in progress. */
  readonly stop: () => Promise<void>;
  /** `client.close()`. */
  readonly close: () => Promise<void>;
}

// Every metadata key the client writes (besides the evicted index per collection). A wipe
// deletes them all, so the next user of this storage starts with a new client id and cursor.
const CLIENT_META_KEYS = [
  'client.id',
  HLC_META_KEY,
  CURSOR_META_KEY,
  APPLIED_SEQ_META_KEY,
  DELETED_CONFLICTS_META_KEY,
  SEQ_META_KEY,
  PUSH_SEQ_META_KEY,
  // The sync sets and their cursors: the next user declares their own, from the start.
  SYNC_SETS_META_KEY,
  SYNC_SETS_SWEEP_META_KEY,
];

/** Unsynced work in the storage: queued, in-flight and dead-lettered ops, and open conflicts. */
async function countUnsynced(
  tx: StorageTransaction,
  collections: readonly CollectionDefinition[],
): Promise<number> {
  let count = (await new Outbox(tx).all()).length;
  for (const { name } of collections) {
    count += (await tx.queryRecords(name, { where: { syncStatus: 'conflicted' } })).length;
  }
  return count;
}

function unsyncedChanges(count: number, cause: unknown): TidesyncError {
  return new TidesyncError(
    'UNSYNCED_CHANGES',
    `${count} change(s) are not on the server yet, so nothing was wiped. Sync, then sign out ` +
      'again; or pass `discardUnsynced: true` or `wipe: false`.',
    { cause },
  );
}

/** Checks `signOut()` options before any I/O. */
export function resolveSignOutOptions(options?: SignOutOptions): Required<SignOutOptions> {
  const { wipe = true, discardUnsynced = false } = options ?? {};
  if (typeof wipe !== 'boolean' || typeof discardUnsynced !== 'boolean') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`wipe\` and \`discardUnsynced\` to be booleans, got ${describeValue(options)}.`,
    );
  }
  return { wipe, discardUnsynced };
}

/**
 * Signs the client's user out: pushes what is pending, then (with `wipe`) deletes everything of
 * this user from the storage in ONE transaction that first counts the unsynced work again, so
 * a crash leaves either all of it or none, and a write that raced in is never wiped unasked.
 * Closes the client in every case but an early `UNSYNCED_CHANGES`, which leaves it running.
 */
export async function signOut(
  host: SignOutHost,
  options: Required<SignOutOptions>,
): Promise<SignOutResult> {
  const { storage, collections } = host;
  const unsynced = (): Promise<number> =>
    storage.transaction('readonly', (tx) => countUnsynced(tx, collections));
  let pushError: unknown;
  let left = await unsynced();
  if (left > 0) {
    await host.sync().catch((error: unknown) => (pushError = error));
    left = await unsynced();
  }
  if (!options.wipe) {
    await host.close();
    return { wiped: false, discarded: 0, unsynced: left };
  }
  if (left > 0 && !options.discardUnsynced) throw unsyncedChanges(left, pushError);

  await host.stop();
  let discarded = 0;
  try {
    discarded = await storage.transaction('readwrite', async (tx) => {
      const count = await countUnsynced(tx, collections);
      if (count > 0 && !options.discardUnsynced) throw unsyncedChanges(count, pushError);
      await wipe(tx, collections);
      return count;
    });
  } finally {
    await host.close();
  }
  return { wiped: true, discarded, unsynced: 0 };
}

/** Deletes every record, op and client metadata value, inside the caller's transaction. */
async function wipe(tx: StorageTransaction, collections: readonly CollectionDefinition[]) {
  const names = new Set([...(await tx.listCollections()), ...collections.map((c) => c.name)]);
  for (const name of names) {
    for (const record of await tx.listRecords(name)) await tx.deleteRecord(name, record.id);
    await writeEvicted(tx, name, new Map());
  }
  await new Outbox(tx).clear();
  for (const key of CLIENT_META_KEYS) await tx.setMeta(key, undefined);
}
