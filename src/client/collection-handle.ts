import type { CollectionDefinition, Query, RecordData, RecordMeta } from '../core/index.js';
import { TidesyncError, describeValue, toAppRecord } from '../core/index.js';
import type { AppRecord } from './write-context.js';
import { findRecord } from './write-context.js';
import { validateInsert, validatePatch } from './validation.js';
import type { ClientInternals } from './client-internals.js';

/** A record of a collection as the app sees it: its fields plus id, serverId, updatedAt, syncStatus. */
export type CollectionRecord<T extends RecordData = RecordData> = T & RecordMeta;

/** Called with the current rows of a live query. */
export type LiveQueryCallback<T extends RecordData = RecordData> = (
  rows: CollectionRecord<T>[],
) => void;

/** Reads and writes of one collection. Writes resolve after the local commit, never waiting for the network. */
export interface Collection<T extends RecordData = RecordData> {
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
  /** Records matching a query. */
  find(query?: Query): Promise<CollectionRecord<T>[]>;
  /** Live query: `callback` runs once at once and again after every committed change to the collection. Returns an unsubscribe function. */
  subscribe(query: Query, callback: LiveQueryCallback<T>): () => void;
}

function checkQuery(collection: string, query: Query | undefined): Query {
  if (query === undefined) return {};
  if (query === null || typeof query !== 'object') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected the query on \`${collection}\` to be an object, got ${describeValue(query)}.`,
    );
  }
  for (const key of ['limit', 'offset'] as const) {
    const v = query[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Expected \`${key}\` of the query on \`${collection}\` to be an integer ≥ 0, got ${describeValue(v)}.`,
      );
    }
  }
  for (const entry of query.orderBy ?? []) {
    if (
      !Array.isArray(entry) ||
      typeof entry[0] !== 'string' ||
      (entry[1] !== 'asc' && entry[1] !== 'desc')
    ) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Expected each \`orderBy\` entry on \`${collection}\` to be [field, 'asc' | 'desc'], got ${describeValue(entry)}.`,
      );
    }
  }
  return query;
}

/** Creates the handle for one collection. */
export function createCollectionHandle<T extends RecordData>(
  internals: ClientInternals,
  definition: CollectionDefinition,
): Collection<T> {
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
      return (await internals.write(async (w) => {
        const out: AppRecord[] = [];
        for (let i = 0; i < values.length; i++)
          out.push(await w.insert(name, values[i], validated[i]));
        return out;
      })) as CollectionRecord<T>[];
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
    async find(query) {
      const q = checkQuery(name, query);
      const rows = await internals.read((tx) => tx.queryRecords(name, q));
      return rows.map((r) => toAppRecord(r) as CollectionRecord<T>);
    },
    subscribe(query, callback) {
      const q = checkQuery(name, query);
      if (typeof callback !== 'function') {
        throw new TidesyncError(
          'INVALID_OPTION',
          `Expected \`subscribe()\` on \`${name}\` to get a callback function, got ${describeValue(callback)}.`,
        );
      }
      return internals.liveQueries.add(
        name,
        () => handle.find(q),
        callback as (rows: unknown[]) => void,
      );
    },
  };
  return handle;
}
