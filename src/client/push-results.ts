import type {
  OpResult,
  OutboxOp,
  StorageTransaction,
  StoredRecord,
  WireRecord,
} from '../core/index.js';
import { renumberAfter, enqueueOp } from '../queue/index.js';
import { lastWriteWins } from '../conflict/index.js';
import type { EngineContext } from './engine-context.js';
import { noteDeletedConflict } from './conflicts.js';
import { assignServerId } from './id-mapping.js';
import { overlayPending, pendingOpsOf } from './remote-records.js';

/** Counts of one push run. */
export interface PushTally {
  pushed: number;
  conflicts: number;
  rejected: number;
  readonly changed: Set<string>;
}

/**
 * Moves an op to the dead letters with the server's reason. `unrecorded` is true when the
 * server never recorded the op (the whole request was refused): its push seq is then free
 * again, so the ops behind it are renumbered to keep the sequence contiguous.
 */
export async function deadLetter(
  ctx: EngineContext,
  tx: StorageTransaction,
  op: OutboxOp,
  code: string,
  message: string,
  unrecorded: boolean,
): Promise<void> {
  await tx.putOp({ ...op, state: 'dead', attempts: op.attempts + 1, error: { code, message } });
  if (unrecorded && op.pushSeq !== null) await renumberAfter(tx, op.pushSeq - 1);
  ctx.emit('deadLetter', { opId: op.opId, collection: op.collection, id: op.id, code, message });
}

/** Applies one per-op server outcome in the caller's transaction. */
export async function applyOpResult(
  ctx: EngineContext,
  tx: StorageTransaction,
  op: OutboxOp,
  result: OpResult,
  tally: PushTally,
): Promise<void> {
  tally.changed.add(op.collection);
  if (result.status === 'rejected') {
    tally.rejected += 1;
    await deadLetter(ctx, tx, op, result.code, result.message, false);
    return;
  }
  await tx.deleteOp(op.opId);
  ctx.clock.receive(result.record.hlc);
  let record = await tx.getRecord(op.collection, op.id);
  if (!record) return;
  if (record.serverId !== result.serverId) {
    record = await assignServerId(tx, ctx.collections, record, result.serverId);
  }
  if (result.status === 'applied') {
    tally.pushed += 1;
    if (!result.merged && result.version === op.baseVersion + 1)
      await rebaseFollowers(tx, op, result.version);
    await adoptServerVersion(tx, record, result.record, ctx.now());
    return;
  }
  tally.conflicts += 1;
  await handleConflict(ctx, tx, op, record, result.record);
}

/**
 * The record's later ops were made on top of `op`; when the server applied `op` straight onto
 * the version it started from (no concurrent write, no merge), they are based on its new
 * version. After a merge they stay concurrent with the other write, and the strategy decides.
 */
async function rebaseFollowers(
  tx: StorageTransaction,
  op: OutboxOp,
  version: number,
): Promise<void> {
  for (const next of await pendingOpsOf(tx, op.collection, op.id)) {
    if (next.seq > op.seq && next.baseVersion === op.baseVersion)
      await tx.putOp({ ...next, baseVersion: version });
  }
}

async function adoptServerVersion(
  tx: StorageTransaction,
  local: StoredRecord,
  remote: WireRecord,
  now: number,
): Promise<void> {
  const pending = await pendingOpsOf(tx, local.collection, local.id);
  if (remote.version < local.version && pending.length > 0) return;
  const next = overlayPending(local, remote, pending, local.id, now);
  await tx.putRecord(
    local.syncStatus === 'conflicted'
      ? { ...next, syncStatus: 'conflicted', conflict: local.conflict, data: local.data }
      : next,
  );
}

async function handleConflict(
  ctx: EngineContext,
  tx: StorageTransaction,
  op: OutboxOp,
  local: StoredRecord,
  remote: WireRecord,
): Promise<void> {
  const strategy = ctx.collections.get(op.collection)?.conflict ?? lastWriteWins();
  const outcome = strategy.resolve({
    collection: op.collection,
    id: remote.id,
    base: null,
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
  if (outcome.kind === 'merged') {
    // A custom resolution: store it and sync it as a new write based on the server version.
    const hlc = ctx.clock.tick();
    const merged: StoredRecord = {
      ...local,
      data: outcome.data ?? local.data,
      deleted: outcome.data === null,
      version: remote.version,
      hlc,
      fieldClocks: outcome.fieldClocks,
      syncStatus: 'pending',
      conflict: null,
      updatedAt: ctx.now(),
    };
    await tx.putRecord(merged);
    const changed = Object.keys(merged.data);
    const clocks = Object.fromEntries(changed.map((f) => [f, hlc]));
    await enqueueOp(
      tx,
      {
        collection: op.collection,
        id: local.id,
        serverId: remote.id,
        type: outcome.data === null ? 'delete' : 'update',
        data: outcome.data === null ? null : merged.data,
        patch: outcome.data === null ? null : merged.data,
        changedFields: outcome.data === null ? [] : changed,
        baseVersion: remote.version,
        hlc,
        fieldClocks: outcome.data === null ? {} : clocks,
      },
      { coalesce: false, now: ctx.now() },
    );
    return;
  }
  const conflict = {
    remote: remote.deleted ? null : remote.data,
    remoteVersion: remote.version,
    remoteHlc: remote.hlc,
    remoteFieldClocks: remote.fieldClocks,
    detectedAt: ctx.now(),
  };
  await tx.putRecord({ ...local, syncStatus: 'conflicted', conflict });
  await noteDeletedConflict(tx, local.collection, local.id, local.deleted);
  ctx.emit('conflict', {
    collection: op.collection,
    id: local.id,
    local: local.deleted ? null : local.data,
    remote: conflict,
  });
}
