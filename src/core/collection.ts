import type { z } from './schema-types.js';
import type { ConflictStrategy } from './conflict-strategy.js';
import { TidesyncError, describeValue } from './errors.js';
import type { RecordData } from './records.js';
import { schemaDef } from './schema-def.js';
import { findNonJsonField } from './schema-json.js';
import { type Migrations, checkMigrations } from './migrations.js';

/** The user a request was authorised as, returned by the server's `authorize`. */
export interface SyncUser {
  readonly userId: string;
  readonly [key: string]: unknown;
}

/** Retention of synced records on a device; pending and conflicted records are never evicted. */
export interface RetentionPolicy {
  /** Evict synced records not read or written for this long. */
  readonly maxAgeMs?: number;
  /** Keep at most this many records; least recently used go first. */
  readonly maxRecords?: number;
  /** Records for which this returns true are never evicted. */
  readonly keep?: (record: RecordData & { id: string; serverId: string | null }) => boolean;
}

/**
 * Decides whether a user may read and write a record, on the server. Without it a record
 * belongs to the user who created it (`ownerId`).
 */
export type ScopeFunction = (
  record: { readonly data: RecordData; readonly ownerId: string },
  user: SyncUser,
) => boolean;

/** Options of {@link defineCollection}. */
export interface CollectionOptions<S extends z.ZodObject> {
  /** Unique name, 1-64 characters of letters, digits, `_` and `-`. */
  readonly name: string;
  /**
   * zod 4 object schema of the record's fields (without `id` and sync metadata): `z.object`
   * from `zod` or from `zod/mini`.
   */
  readonly schema: S;
  /** How concurrent changes are resolved. @default lastWriteWins() */
  readonly conflict?: ConflictStrategy;
  /** Fields that hold ids of records in other collections: field name to collection name. */
  readonly references?: Readonly<Record<string, string>>;
  /** Collections with higher priority are pushed first. @default 0 */
  readonly priority?: number;
  /** What this device keeps of the collection's synced records. @default keep everything */
  readonly retention?: RetentionPolicy;
  /** Server-side access rule; see {@link ScopeFunction}. */
  readonly scope?: ScopeFunction;
  /** Schema version of `schema`, an integer from 1; see docs/schema-evolution.md. @default 1 */
  readonly version?: number;
  /** Steps from each older version: `n` turns a record of version n-1 into n. @default {} */
  readonly migrations?: Migrations;
  /**
   * What a device syncs down: `'all'` every record in the user's scope; `'sets'` only what
   * the device's sync sets cover (`collection(...).syncSet({ where })`, docs/sync-sets.md).
   * @default 'all'
   */
  readonly sync?: CollectionSyncMode;
  /**
   * Top-level fields the server indexes for sync sets; a set's `where` may use only these.
   * Required (at least one) with `sync: 'sets'`. @default []
   */
  readonly indexes?: readonly string[];
}

/** How a collection syncs down: everything in scope, or only what the device's sync sets cover. */
export type CollectionSyncMode = 'all' | 'sets';

/** A collection definition, shared by clients and the server. */
export interface CollectionDefinition<S extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly schema: S;
  readonly conflict: ConflictStrategy | undefined;
  readonly references: Readonly<Record<string, string>>;
  readonly priority: number;
  readonly retention: RetentionPolicy | undefined;
  readonly scope: ScopeFunction | undefined;
  /** Schema version of `schema` (1 when not set). */
  readonly version: number;
  /** Migrations from older versions, keyed by the version each produces. */
  readonly migrations: Migrations;
  /** `'all'` (the default) or `'sets'`; see {@link CollectionOptions.sync}. */
  readonly sync: CollectionSyncMode;
  /** Fields the server indexes for sync sets. */
  readonly indexes: readonly string[];
}

/** The record type of a collection definition. */
export type InferRecord<C> = C extends CollectionDefinition<infer S> ? z.infer<S> : never;

const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const RESERVED_FIELDS = new Set([
  'id',
  'serverId',
  'updatedAt',
  'syncStatus',
  '__proto__',
  'constructor',
  'prototype',
]);

/**
 * Defines a collection: its name, zod schema (classic `zod` or `zod/mini`), conflict strategy
 * and sync options.
 *
 * @example
 * const todos = defineCollection({
 *   name: 'todos',
 *   schema: z.object({ title: z.string(), done: z.boolean() }),
 *   conflict: fieldMerge(),
 * });
 * @throws TidesyncError `INVALID_OPTION` for a bad name, a schema field named like metadata, a
 *   schema value that does not survive JSON (`z.date()`, `z.bigint()`, `z.map()`, `z.set()`,
 *   transforms, functions, symbols, `z.undefined()`), a bad priority, or a `version` without a
 *   migration for each step.
 */
export function defineCollection<S extends z.ZodObject>(
  options: CollectionOptions<S>,
): CollectionDefinition<S> {
  if (typeof options.name !== 'string' || !NAME_PATTERN.test(options.name)) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected collection \`name\` to be 1-64 letters, digits, _ or -, starting with a letter, got ${describeValue(options.name)}.`,
    );
  }
  const def = schemaDef(options.schema);
  const shape = def?.type === 'object' ? def.shape : undefined;
  if (!shape || typeof shape !== 'object') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`schema\` of collection \`${options.name}\` to be a zod 4 object schema (z.object({...}) from 'zod' or 'zod/mini').`,
    );
  }
  for (const field of Object.keys(shape)) {
    if (RESERVED_FIELDS.has(field)) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Collection \`${options.name}\` declares field \`${field}\`, which tidesync reserves. Rename the field.`,
      );
    }
  }
  // Records travel as JSON: a value JSON changes would be stored here and refused by the
  // server (every op dead-lettered), so such a schema is refused before anything is written.
  const nonJson = findNonJsonField(options.schema, options.name);
  if (nonJson) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `${nonJson.path} is ${nonJson.schema}, which does not survive JSON on its way to the server: ${nonJson.fix}.`,
    );
  }
  const priority = options.priority ?? 0;
  if (!Number.isFinite(priority)) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`priority\` of collection \`${options.name}\` to be a finite number, got ${describeValue(priority)}.`,
    );
  }
  for (const [field, target] of Object.entries(options.references ?? {})) {
    if (!Object.hasOwn(shape, field) || typeof target !== 'string') {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Reference \`${field}\` of collection \`${options.name}\` must name a schema field and a collection name, got ${describeValue(target)}.`,
      );
    }
  }
  const version = options.version ?? 1;
  checkMigrations(options.name, version, options.migrations ?? {});
  const { sync, indexes } = syncOptionsOf(options, shape);
  return {
    name: options.name,
    schema: options.schema,
    conflict: options.conflict,
    references: { ...(options.references ?? {}) },
    priority,
    retention: options.retention,
    scope: options.scope,
    version,
    migrations: { ...(options.migrations ?? {}) },
    sync,
    indexes,
  };
}

function syncOptionsOf(
  options: CollectionOptions<z.ZodObject>,
  shape: Readonly<Record<string, unknown>>,
): { sync: CollectionSyncMode; indexes: readonly string[] } {
  const sync = options.sync ?? 'all';
  if (sync !== 'all' && sync !== 'sets') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`sync\` of collection \`${options.name}\` to be 'all' or 'sets', got ${describeValue(sync)}.`,
    );
  }
  const indexes = options.indexes ?? [];
  if (!Array.isArray(indexes)) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`indexes\` of collection \`${options.name}\` to be an array of field names, got ${describeValue(indexes)}.`,
    );
  }
  for (const field of indexes) {
    if (typeof field !== 'string' || !Object.hasOwn(shape, field) || RESERVED_FIELDS.has(field)) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Index ${describeValue(field)} of collection \`${options.name}\` must name a top-level schema field.`,
      );
    }
  }
  if (sync === 'sets' && indexes.length === 0) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Collection \`${options.name}\` has \`sync: 'sets'\` but no \`indexes\`: list the fields its sync sets filter on, such as indexes: ['projectId'].`,
    );
  }
  return { sync, indexes: [...new Set(indexes)] };
}
