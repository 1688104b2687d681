import type {
  CollectionDefinition,
  ErrorCode,
  RecordData,
  StorageTransaction,
  StoredRecord,
} from '../../core/index.js';
import { ERROR_CODES, TidesyncError, describeValue } from '../../core/index.js';
import { checkResolutionValue } from './validation.js';
import type { WriteContext } from './write-context.js';
import { listDeletedConflicts } from './deleted-conflicts.js';

/** A conflicted record with both versions; `T` types them (`client.conflicts(todos)`). */
export interface ConflictRecord<T extends object = RecordData> {
  readonly collection: string;
  /** Local id. */
  readonly id: string;
  readonly serverId: string | null;
  /** This device's version; `null` when it was deleted here. */
  readonly local: T | null;
  /** The server's version; `null` when it was deleted there. */
  readonly remote: T | null;
  /** Server version number of `remote`. */
  readonly remoteVersion: number;
  /** When the conflict was detected (wall ms). */
  readonly detectedAt: number;
  /**
   * Why the collection's `custom()` resolver could not settle it (code `RESOLVER_FAILED`, the
   * resolver's own error in the message), or `null`. Settle it with `resolveConflict()`.
   */
  readonly error: TidesyncError | null;
}

/** How to settle a conflict: keep this device's version, the server's, or a new value. */
export type ConflictResolution<T extends object = RecordData> =
  { readonly keep: 'local' } | { readonly keep: 'remote' } | { readonly value: T | null };

function toConflictRecord(r: StoredRecord): ConflictRecord | undefined {
  if (r.syncStatus !== 'conflicted' || !r.conflict) return undefined;
  return {
    collection: r.collection,
    id: r.id,
    serverId: r.serverId,
    local: r.deleted ? null : r.data,
    remote: r.conflict.remote,
    remoteVersion: r.conflict.remoteVersion,
    detectedAt: r.conflict.detectedAt,
    error: r.conflict.resolverError ? resolverError(r.conflict.resolverError) : null,
  };
}

/** The stored failure of a resolver as a typed error again. */
function resolverError(stored: { readonly code: string; readonly message: string }): TidesyncError {
  const code = (ERROR_CODES as readonly string[]).includes(stored.code)
    ? (stored.code as ErrorCode)
    : 'RESOLVER_FAILED';
  return new TidesyncError(code, String(stored.message));
}

/**
 * Every conflicted record, by collection then id. Uses a query (indexed where the adapter can)
 * plus the short list of locally deleted ones, never a scan of every record.
 */
export async function listConflicts(
  tx: StorageTransaction,
  collections: ReadonlyMap<string, CollectionDefinition>,
): Promise<ConflictRecord[]> {
  const out: ConflictRecord[] = [];
  const deleted = await listDeletedConflicts(tx);
  for (const name of collections.keys()) {
    const rows = await tx.queryRecords(name, { where: { syncStatus: 'conflicted' } });
    for (const key of deleted) {
      const [collection, id] = key.split('\u0000');
      if (collection !== name || id === undefined) continue;
      const record = await tx.getRecord(name, id);
      if (record?.deleted) rows.push(record);
    }
    rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const r of rows) {
      const conflict = toConflictRecord(r);
      if (conflict) out.push(conflict);
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
  if ('value' in resolution) {
    checkResolutionValue(collection, resolution.value);
    return w.resolve(collection, id, resolution.value, false);
  }
  throw new TidesyncError(
    'INVALID_OPTION',
    `Expected a resolution { keep: 'local' } | { keep: 'remote' } | { value }, got ${describeValue(resolution)}.`,
  );
}
