import type {
  CollectionDefinition,
  ConflictInfo,
  ConflictOutcome,
  OutboxOp,
  RecordData,
  StorageTransaction,
  StoredRecord,
  WireRecord,
} from '../../core/index.js';
import { META_FIELDS, TidesyncError } from '../../core/index.js';
import { Outbox } from '../../outbox/index.js';
import { lastWriteWins } from '../../conflict/index.js';
import type { ClientContext, EmitEvent } from '../client-context.js';
import { noteDeletedConflict } from '../local/deleted-conflicts.js';
import { validateMerged } from '../local/validation.js';

/**
 * The error a conflict waits with when the collection's strategy (a `custom()` resolver) threw
 * or returned a value that fails the schema. `cause` is what the resolver threw.
 */
function resolverFailure(collection: string, id: string, error: unknown): TidesyncError {
  const inner =
    error instanceof TidesyncError
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
  return new TidesyncError(
    'RESOLVER_FAILED',
    `The conflict resolver of \`${collection}\` failed on record \`${id}\` (${inner}). The record waits in the conflict inbox with both versions; fix the resolver, or settle it with \`client.resolveConflict()\`.`,
    { cause: error },
  );
}

/**
 * A resolver's merged fields checked like a local write: no metadata keys, and the whole
 * record passes the collection's schema. Returns the parsed fields.
 * @throws ValidationError `VALIDATION_FAILED`; TidesyncError `FORBIDDEN_FIELD` for a metadata key
 */
function checkResolved(definition: CollectionDefinition, data: RecordData): RecordData {
  for (const key of META_FIELDS) {
    if (Object.hasOwn(data, key)) {
      throw new TidesyncError(
        'FORBIDDEN_FIELD',
        `The resolved value of \`${definition.name}\` sets \`${key}\`, which tidesync manages.`,
      );
    }
  }
  return validateMerged(definition, data);
}

/**
 * Runs the collection's strategy on a conflict the server reported, in the caller's
 * transaction. A merged result (from `custom()`) is validated, stored and queued as a new write
 * based on the server's version; `'manual'` or a failing resolver leaves the record in the
 * conflict inbox with both versions (and the failure as `resolverError`). Never throws for what
 * the resolver does, so one bad resolution cannot stop the rest of the batch.
 */
export async function handleConflict(
  ctx: ClientContext,
  tx: StorageTransaction,
  op: OutboxOp,
  local: StoredRecord,
  remote: WireRecord,
  emit: EmitEvent,
): Promise<void> {
  const definition = ctx.opts.collections.get(op.collection);
  const strategy = definition?.conflict ?? lastWriteWins();
  let outcome: ConflictOutcome | undefined;
  let failure: TidesyncError | undefined;
  try {
    outcome = strategy.resolve({
      collection: op.collection,
      id: remote.id,
      local: {
        data: local.deleted ? null : local.data,
        hlc: local.hlc,
        fieldClocks: local.fieldClocks,
        changedFields: op.changedFields,
      },
      remote: {
        data: remote.deleted ? null : remote.data,
        hlc: remote.hlc,
        fieldClocks: remote.fieldClocks,
      },
    });
    if (outcome.kind === 'merged' && outcome.data !== null && definition) {
      outcome = { ...outcome, data: checkResolved(definition, outcome.data) };
    }
  } catch (error) {
    outcome = undefined;
    failure = resolverFailure(op.collection, local.id, error);
  }
  if (outcome?.kind === 'merged') {
    await storeMerged(ctx, tx, op, local, remote, outcome.data, outcome.fieldClocks);
    return;
  }
  const conflict: ConflictInfo = {
    remote: remote.deleted ? null : remote.data,
    remoteVersion: remote.version,
    remoteHlc: remote.hlc,
    remoteFieldClocks: remote.fieldClocks,
    detectedAt: ctx.opts.now(),
    ...(failure ? { resolverError: { code: failure.code, message: failure.message } } : {}),
  };
  await tx.putRecord({ ...local, syncStatus: 'conflicted', conflict });
  await noteDeletedConflict(tx, local.collection, local.id, local.deleted);
  emit('conflict', {
    collection: op.collection,
    id: local.id,
    local: local.deleted ? null : local.data,
    remote: conflict,
    ...(failure ? { error: failure } : {}),
  });
}

/** A custom resolution: store it and sync it as a new write based on the server version. */
async function storeMerged(
  ctx: ClientContext,
  tx: StorageTransaction,
  op: OutboxOp,
  local: StoredRecord,
  remote: WireRecord,
  data: RecordData | null,
  fieldClocks: StoredRecord['fieldClocks'],
): Promise<void> {
  const hlc = ctx.clock.tick();
  const merged: StoredRecord = {
    ...local,
    data: data ?? local.data,
    deleted: data === null,
    version: remote.version,
    hlc,
    fieldClocks,
    syncStatus: 'pending',
    conflict: null,
    updatedAt: ctx.opts.now(),
  };
  await tx.putRecord(merged);
  const changed = Object.keys(merged.data);
  const clocks = Object.fromEntries(changed.map((f) => [f, hlc]));
  await new Outbox(tx).append(
    {
      collection: op.collection,
      id: local.id,
      serverId: remote.id,
      type: data === null ? 'delete' : 'update',
      data: data === null ? null : merged.data,
      patch: data === null ? null : merged.data,
      changedFields: data === null ? [] : changed,
      baseVersion: remote.version,
      hlc,
      fieldClocks: data === null ? {} : clocks,
    },
    { coalesce: false, now: ctx.opts.now() },
  );
}
