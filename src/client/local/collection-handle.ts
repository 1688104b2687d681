// The local flow (src/client/local/): local writes and queries. It owns the collection handles,
// the write context (a record change and its outbox op in one transaction), validation, query
// checks, live queries, conflict listing and resolution, id mapping and the local schema upgrade
// at open. It never talks to the server and imports nothing of sync/, cache/ or runtime/; the
// few things it needs from them (remote reads) are interfaces it declares (client-internals.ts).

import type { CollectionDefinition, Query, RecordData, RecordMeta } from '../../core/index.js';
import { TidesyncError, describeValue, toAppRecord, toError } from '../../core/index.js';
import { checkQuery } from './query-check.js';
import { findRecord } from './record-lookup.js';
import { validateInsert, validatePatch } from './validation.js';
import type { ClientInternals } from './client-internals.js';
import type { SyncSet, SyncSetOptions } from './sync-set-types.js';

/** A record of a collection as the app sees it: its fields plus id, serverId, updatedAt, syncStatus. */
export type CollectionRecord<T extends object = RecordData> = T & RecordMeta;

/** Options of {@link Collection.find}. */
export interface FindOptions {
  /**
   * First re-fetch, from the server, the records this device dropped (retention or
   * `clearCache()`) and keep those that match `query.where`; then answer from local storage.
   * Needs a transport; rejects with `NetworkError` when the server cannot be reached.
   * See docs/storage.md. @default false
   */
  readonly remote?: boolean;
}

/** Called with the current rows of a live query. */
export type LiveQueryCallback<T extends object = RecordData> = (
  rows: CollectionRecord<T>[],
) => void;

/** Options of {@link Collection.subscribe}. */
export interface SubscribeOptions {
  /**
   * Called when a run of the query fails (for example storage closed under it); the next
   * committed change runs it again. Without it the error is emitted as the client's `syncError`.
   */
  readonly onError?: (error: Error) => void;
}

/** Reads and writes of one collection. Writes resolve after the local commit, never waiting for the network. */
export interface Collection<T extends object = RecordData> {
  readonly name: string;
  /** Inserts a record; it gets a local `id` at once and `serverId` after sync. @throws ValidationError */
  insert(value: T): Promise<CollectionRecord<T>>;
  /** Inserts many records in one transaction (all or none). */
  insertMany(values: readonly T[]): Promise<CollectionRecord<T>[]>;
  /** Changes some fields of a record (by local or server id). @throws TidesyncError `RECORD_NOT_FOUND`, `RECORD_DELETED` */
  update(id: string, patch: Partial<T>): Promise<CollectionRecord<T>>;
  /** Deletes a record (by local or server id). */
  delete(id: string): Promise<void>;
  /** The record with this local or server id, or `undefined`. */
  get(id: string): Promise<CollectionRecord<T> | undefined>;
  /**
   * Records matching a query; with `{ remote: true }` evicted records are fetched back first.
   * @throws TidesyncError `INVALID_QUERY` for a field or operator the collection does not have
   */
  find(query?: Query<T>, options?: FindOptions): Promise<CollectionRecord<T>[]>;
  /**
   * Fetches a record from the server by server id or by a local id this device knows, also
   * one dropped by retention or `clearCache()`, and stores it as synced (pending edits on it
   * are kept). Resolves `undefined` when the server has no such record for this user.
   * @throws NetworkError when the server cannot be reached
   * @throws TidesyncError `INVALID_OPTION` when the client has no transport
   */
  fetchRemote(id: string): Promise<CollectionRecord<T> | undefined>;
  /**
   * Live query: `callback` runs once at once and again after every committed change to the
   * collection. Returns an unsubscribe function.
   * @throws TidesyncError `INVALID_QUERY` / `INVALID_OPTION` for a bad query, at once
   */
  subscribe(
    query: Query<T>,
    callback: LiveQueryCallback<T>,
    options?: SubscribeOptions,
  ): () => void;
  /**
   * Declares a sync set of a `sync: 'sets'` collection: this device syncs down the records
   * `where` covers (persisted; the same `where` returns the same set). See docs/sync-sets.md.
   * @throws TidesyncError `INVALID_OPTION` for a `sync: 'all'` collection, `INVALID_QUERY` for a
   *   `where` other than equality / `in` on the collection's `indexes`
   */
  syncSet(options: SyncSetOptions): Promise<SyncSet>;
}

/** Creates the handle for one collection. */
export function createCollectionHandle<T extends object>(
  internals: ClientInternals,
  definition: CollectionDefinition,
): Collection<T> {
  const remote = internals.remote;
  const name = definition.name;
  const handle: Collection<T> = {
    name,
    async insert(value) {
      const data = validateInsert(definition, value);
      return (await internals.write((w) => w.insert(name, value, data))) as CollectionRecord<T>;
    },
    async insertMany(values) {
      if (!Array.isArray(values)) {
        throw new TidesyncError(
          'INVALID_OPTION',
          `Expected \`insertMany()\` on \`${name}\` to get an array, got ${describeValue(values)}.`,
        );
      }
      const validated = values.map((v) => validateInsert(definition, v));
      return (await internals.write((w) => w.insertMany(name, validated))) as CollectionRecord<T>[];
    },
    async update(id, patch) {
      const clean = validatePatch(definition, patch);
      return (await internals.write((w) =>
        w.update(name, id, patch, clean),
      )) as CollectionRecord<T>;
    },
    async delete(id) {
      await internals.write((w) => w.delete(name, id));
    },
    async get(id) {
      const record = await internals.read((tx) => findRecord(tx, name, id));
      if (!record || record.deleted) return undefined;
      internals.touched(name, record.id);
      return toAppRecord(record) as CollectionRecord<T>;
    },
    async find(query, options) {
      const q = checkQuery(definition, query as Query | undefined);
      const rows = options?.remote
        ? await remote.find(name, q)
        : await internals.read((tx) => tx.queryRecords(name, q));
      return rows.map((r) => toAppRecord(r) as CollectionRecord<T>);
    },
    async fetchRemote(id) {
      if (typeof id !== 'string' || id.length === 0) {
        throw new TidesyncError(
          'INVALID_OPTION',
          `Expected \`fetchRemote()\` on \`${name}\` to get a record id, got ${describeValue(id)}.`,
        );
      }
      const record = await remote.fetch(name, id);
      if (!record) return undefined;
      internals.touched(name, record.id);
      return toAppRecord(record) as CollectionRecord<T>;
    },
    subscribe(query, callback, options) {
      const q = checkQuery(definition, query as Query | undefined);
      if (typeof callback !== 'function') {
        throw new TidesyncError(
          'INVALID_OPTION',
          `Expected \`subscribe()\` on \`${name}\` to get a callback function, got ${describeValue(callback)}.`,
        );
      }
      return internals.liveQueries.add(
        name,
        () => handle.find(q as Query<T>),
        callback as (rows: unknown[]) => void,
        options?.onError ? (error) => options.onError?.(toError(error)) : undefined,
      );
    },
    syncSet: (options) => internals.syncSets.add(definition, options),
  };
  return handle;
}
