import type { StorageAdapter } from '../core/index.js';
import { TidesyncError } from '../core/index.js';

// Process-wide on purpose (the one exception to "no module-level state"): the check is that
// no two clients in this JavaScript realm hold one adapter instance, which only a shared
// registry can see. A WeakSet keeps no adapter alive.
const claimed = new WeakSet<StorageAdapter>();

/**
 * Marks `storage` as used by an opening client.
 * @throws TidesyncError `STORAGE_IN_USE` when an open client already uses this adapter instance.
 */
export function claimStorage(storage: StorageAdapter): void {
  if (claimed.has(storage)) {
    throw new TidesyncError(
      'STORAGE_IN_USE',
      'This storage adapter is already used by an open SyncClient: two clients on one storage would hand out the same op sequence numbers and overwrite each other. Close the first client (`await client.close()`) before opening another on the same adapter, or give each client its own adapter; tabs sharing one IndexedDB database each open their own adapter and pass `coordinator: webLocksCoordinator()`.',
    );
  }
  claimed.add(storage);
}

/** Releases `storage` after its client closed (or failed to open). */
export function releaseStorage(storage: StorageAdapter): void {
  claimed.delete(storage);
}
