import type { CollectionDefinition, RecordData, StorageTransaction } from '../core/index.js';
import { TidesyncError, describeValue } from '../core/index.js';
import type { WriteContext } from './write-context.js';

/** A conflicted record with both versions. */
export interface ConflictRecord {
  readonly collection: string;
  /** Local id. */
  readonly id: string;
  readonly serverId: string | null;
  /** This device's version; `null` when it was deleted here. */
  readonly local: RecordData | null;
  /** The server's version; `null` when it was deleted there. */
  readonly remote: RecordData | null;
  /** Server version number of `remote`. */
  readonly remoteVersion: number;
  /** When the conflict was detected (wall ms). */
  readonly detectedAt: number;
}

/** How to settle a conflict: keep this device's version, the server's, or a new value. */
export type ConflictResolution =
  { readonly keep: 'local' } | { readonly keep: 'remote' } | { readonly value: RecordData | null };

/** Every conflicted record, by collection then id. */
export async function listConflicts(
  tx: StorageTransaction,
  collections: ReadonlyMap<string, CollectionDefinition>,
): Promise<ConflictRecord[]> {
  const out: ConflictRecord[] = [];
  for (const name of collections.keys()) {
    for (const r of await tx.listRecords(name)) {
      if (r.syncStatus !== 'conflicted' || !r.conflict) continue;
      out.push({
        collection: name,
        id: r.id,
        serverId: r.serverId,
        local: r.deleted ? null : r.data,
        remote: r.conflict.remote,
        remoteVersion: r.conflict.remoteVersion,
        detectedAt: r.conflict.detectedAt,
      });
    }
  }
  return out;
}

/** Applies a resolution inside a write transaction. */
export async function resolveConflict(
  w: WriteContext,
  collection: string,
  id: string,
  resolution: ConflictResolution,
): Promise<void> {
  if (!resolution || typeof resolution !== 'object') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected a resolution { keep: 'local' } | { keep: 'remote' } | { value }, got ${describeValue(resolution)}.`,
    );
  }
  const conflicts = await w.conflictOf(collection, id);
  if ('keep' in resolution && resolution.keep === 'local')
    return w.resolve(collection, id, conflicts.local, false);
  if ('keep' in resolution && resolution.keep === 'remote')
    return w.resolve(collection, id, conflicts.remote, true);
  if ('value' in resolution) return w.resolve(collection, id, resolution.value, false);
  throw new TidesyncError(
    'INVALID_OPTION',
    `Expected a resolution { keep: 'local' } | { keep: 'remote' } | { value }, got ${describeValue(resolution)}.`,
  );
}
