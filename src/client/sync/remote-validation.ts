import type {
  CollectionDefinition,
  RecordData,
  ValidationIssue,
  WireRecord,
} from '../../core/index.js';
import { META_FIELDS, TidesyncError, safeParseSchema } from '../../core/index.js';
import { newerVersionIssues } from './schema-versions.js';

const META = new Set<string>(META_FIELDS);

/** Where a remote record the client refused came from. */
export type RemoteSource = 'pull' | 'push' | 'fetch';

/**
 * A record from the server that failed the collection's schema or tried to set metadata. It was
 * kept out of storage (code `INVALID_REMOTE_RECORD`); the rest of the answer was applied.
 */
export class InvalidRemoteRecordError extends TidesyncError {
  /** Collection of the record. */
  readonly collection: string;
  /** The record's server id. */
  readonly serverId: string;
  /** Each problem, with the field path. */
  readonly issues: readonly ValidationIssue[];

  constructor(collection: string, serverId: string, issues: readonly ValidationIssue[]) {
    const first = issues[0];
    const where = first?.path ? `field \`${first.path}\`` : 'the record';
    super(
      'INVALID_REMOTE_RECORD',
      `The server sent record \`${collection}/${serverId}\` with an invalid ${where}: ${first?.message ?? 'invalid value'}. It was not stored and the rest of the sync went on; fix the record on the server (or align the client's schema with the server's).`,
    );
    this.collection = collection;
    this.serverId = serverId;
    this.issues = issues;
  }
}

/** Payload of the client's `remoteRejected` event. */
export interface RemoteRejectedEvent {
  /** What brought the record: a pull page, a push answer or `fetchRemote()`. */
  readonly source: RemoteSource;
  readonly collection: string;
  /** The record's server id. */
  readonly serverId: string;
  /** The refusal, with the schema issues. */
  readonly error: InvalidRemoteRecordError;
}

/**
 * Problems of a remote record's fields: metadata keys, then the collection schema. Prototype
 * keys never get here: every remote record passed the wire schema (`wireData`), which refuses
 * them, or a whole-body check that did (`safeParseWire`).
 */
export function dataIssues(
  definition: CollectionDefinition,
  data: RecordData,
): ValidationIssue[] | undefined {
  for (const key of Object.keys(data)) {
    if (META.has(key)) return [{ path: key, message: 'field is managed by tidesync' }];
  }
  const result = safeParseSchema(definition.schema, data);
  if (result.success) return undefined;
  return result.error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
  }));
}

/**
 * Checks one remote record against its collection: `undefined` when it may be stored (or its
 * collection is not registered here: callers skip those), else the refusal. A tombstone's
 * fields are not checked (it is never shown), except for metadata keys.
 */
export function checkRemoteRecord(
  collections: ReadonlyMap<string, CollectionDefinition>,
  record: WireRecord,
): InvalidRemoteRecordError | undefined {
  const definition = collections.get(record.collection);
  if (!definition) return undefined;
  const issues =
    newerVersionIssues(definition, record) ??
    (record.deleted
      ? Object.keys(record.data)
          .filter((key) => META.has(key))
          .map((key) => ({ path: key, message: 'field is managed by tidesync' }))
      : dataIssues(definition, record.data));
  if (!issues || issues.length === 0) return undefined;
  return new InvalidRemoteRecordError(record.collection, record.id, issues);
}

/** Splits remote records into those that may be stored and the refusals, in order. */
export function screenRemoteRecords(
  collections: ReadonlyMap<string, CollectionDefinition>,
  records: readonly WireRecord[],
  source: RemoteSource,
): { valid: WireRecord[]; rejected: RemoteRejectedEvent[] } {
  const valid: WireRecord[] = [];
  const rejected: RemoteRejectedEvent[] = [];
  for (const record of records) {
    const error = checkRemoteRecord(collections, record);
    if (error) rejected.push({ source, collection: error.collection, serverId: record.id, error });
    else valid.push(record);
  }
  return { valid, rejected };
}

/**
 * Takes the records that may not be stored out of a pulled page (its `changes` are replaced by
 * the valid ones, in order) and returns the refusals, to report once the page committed.
 */
export function screenPulledPage(
  collections: ReadonlyMap<string, CollectionDefinition>,
  page: { changes: WireRecord[] },
): RemoteRejectedEvent[] {
  const { valid, rejected } = screenRemoteRecords(collections, page.changes, 'pull');
  if (rejected.length > 0) page.changes = valid;
  return rejected;
}
