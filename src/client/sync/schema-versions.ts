// The client's side of schema evolution on the wire: the versions it reads and writes at,
// records from the server moved up to the app's version, and the server's version refusals.
import type {
  CollectionDefinition,
  PullResponse,
  ValidationIssue,
  WireRecord,
} from '../../core/index.js';
import { MigrationError, TidesyncError, migrateClocks, migrateData } from '../../core/index.js';

type Collections = ReadonlyMap<string, CollectionDefinition>;

/** The app's schema version of each collection, as sent with a pull. */
export function schemaVersionsOf(collections: Collections): Record<string, number> {
  const out: Record<string, number> = {};
  for (const collection of collections.values()) out[collection.name] = collection.version;
  return out;
}

/**
 * A record from the server moved up to the app's version when it is older (an older server, or
 * an answer the server recorded before this app upgraded). A record that cannot be moved, or is
 * newer, is returned as is: {@link newerVersionIssues} and the schema check then refuse it.
 */
export function recordAtAppVersion(collections: Collections, record: WireRecord): WireRecord {
  const collection = collections.get(record.collection);
  const at = record.schemaVersion ?? 1;
  if (!collection || at >= collection.version) return record;
  try {
    const data =
      record.deleted && Object.keys(record.data).length === 0
        ? record.data
        : migrateData(collection, record.data, at, collection.version);
    const fieldClocks = migrateClocks(record.fieldClocks, data, record.hlc);
    return { ...record, data, fieldClocks, schemaVersion: collection.version };
  } catch (error) {
    if (error instanceof MigrationError) return record;
    throw error;
  }
}

/** A pull page with its records at the app's versions. */
export function pageAtAppVersion(collections: Collections, page: PullResponse): PullResponse {
  return { ...page, changes: page.changes.map((c) => recordAtAppVersion(collections, c)) };
}

/** The issue of a record newer than the app's schema version, else `undefined`. */
export function newerVersionIssues(
  collection: CollectionDefinition,
  record: WireRecord,
): ValidationIssue[] | undefined {
  const at = record.schemaVersion ?? 1;
  if (at <= collection.version) return undefined;
  return [
    {
      path: '',
      message: `record is at schema version ${at}, newer than this app's version ${collection.version}; update the app`,
    },
  ];
}

/**
 * The typed error for a server's schema refusal: `SERVER_TOO_OLD` (the push waits, its ops stay
 * queued) or `UPGRADE_REQUIRED` (the pull waits for an app update); `undefined` for other codes.
 */
export function schemaRefusal(code: string, message: string): TidesyncError | undefined {
  if (code === 'server_too_old') {
    return new TidesyncError(
      'SERVER_TOO_OLD',
      `The server does not know this app's schema version yet (${message}). The ops stay queued and are sent once the server is updated.`,
    );
  }
  if (code === 'upgrade_required') {
    return new TidesyncError(
      'UPGRADE_REQUIRED',
      `The server cannot serve this app's schema version (${message}). Local writes and pushes go on; pulls resume after the app is updated.`,
    );
  }
  return undefined;
}

/** Whether a record from the server is at a newer schema version than the app's. */
export function isNewerThanApp(collections: Collections, record: WireRecord): boolean {
  const collection = collections.get(record.collection);
  return collection !== undefined && (record.schemaVersion ?? 1) > collection.version;
}
