// Schema evolution: moving record data, patches and field clocks between versions of a
// collection. Pure functions, shared by the client (local upgrade at open, pulled records) and
// the server (upcasting older ops, serving older reads).
import { TidesyncError, describeValue } from './errors.js';
import type { FieldClocks, RecordData } from './records.js';

/** Turns a record of one version into the next (or, for `down`, the previous) version. */
export type MigrationFunction = (record: RecordData) => RecordData;

/**
 * One step of {@link Migrations}: the function from version n-1 to n, or `{ up, down }` when
 * a newer server must also serve apps still on version n-1 (`down` turns n back into n-1).
 */
export type MigrationStep =
  MigrationFunction | { readonly up: MigrationFunction; readonly down?: MigrationFunction };

/** Migrations of a collection, keyed by the version they produce: `n` turns n-1 into n. */
export type Migrations = Readonly<Record<number, MigrationStep>>;

/** What the functions here need of a collection definition. */
export interface VersionedCollection {
  readonly name: string;
  /** Current schema version, an integer from 1. */
  readonly version: number;
  readonly migrations: Migrations;
}

/**
 * A migration threw, returned something that is not a record, or is missing. Names the
 * collection and the versions; nothing was migrated.
 */
export class MigrationError extends TidesyncError {
  /** Collection of the record. */
  readonly collection: string;
  /** Version the data was at. */
  readonly fromVersion: number;
  /** Version it was being moved to. */
  readonly toVersion: number;
  /** The step that failed (the version it produces for an upcast, consumes for a downcast). */
  readonly step: number;

  constructor(
    collection: string,
    fromVersion: number,
    toVersion: number,
    step: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(
      'MIGRATION_FAILED',
      `Migrating a \`${collection}\` record from version ${fromVersion} to ${toVersion} failed at step ${step}: ${message}`,
      options,
    );
    this.collection = collection;
    this.fromVersion = fromVersion;
    this.toVersion = toVersion;
    this.step = step;
  }
}

/**
 * Checks `version` and `migrations` of a collection definition: an integer version from 1, and
 * one step for every version from 2 to `version` (a function, or `{ up, down? }`).
 * @throws TidesyncError `INVALID_OPTION` naming the collection and the bad entry.
 */
export function checkMigrations(name: string, version: unknown, migrations: unknown): void {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`version\` of collection \`${name}\` to be an integer from 1, got ${describeValue(version)}.`,
    );
  }
  if (migrations === null || typeof migrations !== 'object') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`migrations\` of collection \`${name}\` to be an object keyed by version, got ${describeValue(migrations)}.`,
    );
  }
  for (const key of Object.keys(migrations)) {
    const n = Number(key);
    if (!Number.isSafeInteger(n) || n < 2 || n > version) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Migration \`${key}\` of collection \`${name}\` is out of range: keys are the versions 2 to ${version} they produce.`,
      );
    }
  }
  for (let n = 2; n <= version; n++) {
    const step = (migrations as Record<number, unknown>)[n];
    const up = typeof step === 'function' ? step : (step as { up?: unknown } | undefined)?.up;
    const down =
      typeof step === 'function' ? undefined : (step as { down?: unknown } | undefined)?.down;
    if (typeof up !== 'function' || (down !== undefined && typeof down !== 'function')) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Collection \`${name}\` is at version ${version} but migration ${n} (from ${n - 1} to ${n}) is missing or not a function. Give \`migrations: { ${n}: (record) => ... }\` (use \`(r) => r\` when the data did not change).`,
      );
    }
  }
}

function upOf(step: MigrationStep | undefined): MigrationFunction | undefined {
  return typeof step === 'function' ? step : step?.up;
}

function downOf(step: MigrationStep | undefined): MigrationFunction | undefined {
  return typeof step === 'function' ? undefined : step?.down;
}

/** Whether data at version `from` can be turned into version `to` (`to < from` needs every `down`). */
export function canMigrate(collection: VersionedCollection, from: number, to: number): boolean {
  if (from > collection.version || to > collection.version || from < 1 || to < 1) return false;
  for (let n = from; n > to; n--) if (!downOf(collection.migrations[n])) return false;
  return true;
}

function runStep(
  collection: VersionedCollection,
  fn: MigrationFunction | undefined,
  data: RecordData,
  from: number,
  to: number,
  step: number,
): RecordData {
  if (!fn) {
    const what =
      to > from ? `no migration ${step}` : `no reverse migration (\`down\`) of step ${step}`;
    throw new MigrationError(collection.name, from, to, step, `${what} is defined.`);
  }
  let out: unknown;
  try {
    out = fn({ ...data });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(collection.name, from, to, step, `it threw: ${reason}`, {
      cause: error,
    });
  }
  if (out === null || typeof out !== 'object' || Array.isArray(out)) {
    throw new MigrationError(
      collection.name,
      from,
      to,
      step,
      `it returned ${describeValue(out)} instead of a record object.`,
    );
  }
  return out as RecordData;
}

/**
 * Moves record data from version `from` to version `to`, up through each step's function or
 * down through each `down`. Returns `data` itself when the versions are equal.
 * @throws MigrationError `MIGRATION_FAILED` when a step is missing, throws or returns a non-object.
 */
export function migrateData(
  collection: VersionedCollection,
  data: RecordData,
  from: number,
  to: number,
): RecordData {
  let out = data;
  if (to > collection.version || from > collection.version) {
    const newer = Math.max(from, to);
    throw new MigrationError(
      collection.name,
      from,
      to,
      newer,
      `this build knows the collection only up to version ${collection.version}.`,
    );
  }
  for (let n = from + 1; n <= to; n++) {
    out = runStep(collection, upOf(collection.migrations[n]), out, from, to, n);
  }
  for (let n = from; n > to; n--) {
    out = runStep(collection, downOf(collection.migrations[n]), out, from, to, n);
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/**
 * Moves a partial update (`patch`: only the changed fields) from version `from` to `to`. The
 * patch goes through the same migrations as a record; of the result, only the fields that the
 * patch decided are kept: a field whose value differs from what the migration makes of an empty
 * record. So a renamed field lands on its new name, and a field the migration fills with a
 * default is not written by an update that never touched it.
 * @throws MigrationError `MIGRATION_FAILED` when a migration fails on the patch.
 */
export function migratePatch(
  collection: VersionedCollection,
  patch: RecordData,
  from: number,
  to: number,
): RecordData {
  if (from === to) return patch;
  const moved = migrateData(collection, patch, from, to);
  let empty: RecordData;
  try {
    empty = migrateData(collection, {}, from, to);
  } catch {
    // A migration that needs the fields it reads: every field it returns comes from the patch.
    empty = {};
  }
  const out: RecordData = {};
  for (const [field, value] of Object.entries(moved)) {
    if (!Object.hasOwn(empty, field) || !sameValue(empty[field], value)) out[field] = value;
  }
  return out;
}

/**
 * Field clocks for data moved to another version: a field that kept its name keeps its clock;
 * a field the migration produced (renamed, split, defaulted) gets `fallbackHlc`, the clock of
 * the write; clocks of fields that are gone are dropped.
 */
export function migrateClocks(
  clocks: FieldClocks,
  migrated: RecordData,
  fallbackHlc: string,
): FieldClocks {
  const out: FieldClocks = {};
  for (const field of Object.keys(migrated)) out[field] = clocks[field] ?? fallbackHlc;
  return out;
}
