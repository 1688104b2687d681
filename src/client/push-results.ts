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
import { needsReferenceRewrite, type ServerIdRemap } from './id-mapping.js';
import { overlayPending } from './remote-records.js';

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

/**
 * Applies one per-op server outcome in the caller's transaction. Per acknowledged op it reads
 * the record and the record's other ops once, writes the record once and deletes the op;
 * the record's other ops are written only when they change (new server id, rebased version).
 * A temporary id that other records may reference is added to `remaps`: the caller rewrites
 * those references once per batch with {@link rewriteReferences}.
 */
export async function applyOpResult(
  ctx: EngineContext,
  tx: StorageTransaction,
  op: OutboxOp,
  result: OpResult,
  tally: PushTally,
  remaps: ServerIdRemap[],
): Promise<void> {
  tally.changed.add(op.collection);
  if (result.status === 'rejected') {
    tally.rejected += 1;
    await deadLetter(ctx, tx, op, result.code, result.message, false);
    return;
  }
  await tx.deleteOp(op.opId);
  ctx.clock.receive(result.record.hlc);
  const local = await tx.getRecord(op.collection, op.id);
  if (!local) return;
  const remapped = local.serverId !== result.serverId;
  const record: StoredRecord = remapped ? { ...local, serverId: result.serverId } : local;
  if (remapped) {
    const remap = { collection: op.collection, from: local.id, to: result.serverId };
    if (needsReferenceRewrite(ctx.collections, remap)) remaps.push(remap);
  }
  // The record's other ops: every later write and any dead letter (the acked op is deleted).
  const others = await tx.listOps({ collection: op.collection, recordId: op.id });
  if (result.status === 'applied') {
    tally.pushed += 1;
    // The later ops were made on top of `op`; when the server applied `op` straight onto the
    // version it started from (no concurrent write, no merge), they are based on its new
    // version. After a merge they stay concurrent with the other write, and the strategy decides.
    const rebase = !result.merged && result.version === op.baseVersion + 1;
    const updated = await updateOthers(tx, others, result.serverId, (other) =>
      rebase && other.state !== 'dead' && other.seq > op.seq && other.baseVersion === op.baseVersion
        ? result.version
        : other.baseVersion,
    );
    const next = adoptServerVersion(record, result.record, pendingOnly(updated), ctx.now());
    if (next) await tx.putRecord(next);
    else if (remapped) await tx.putRecord(record);
    return;
  }
  await updateOthers(tx, others, result.serverId, (other) => other.baseVersion);
  tally.conflicts += 1;
  await handleConflict(ctx, tx, op, record, result.record);
}

/**
 * Gives a record's other ops its canonical id and the base version `baseVersion` picks, writing
 * only the ops that change. Returns the ops as they now are.
 */
async function updateOthers(
  tx: StorageTransaction,
  ops: readonly OutboxOp[],
  serverId: string,
  baseVersion: (op: OutboxOp) => number,
): Promise<OutboxOp[]> {
  const out: OutboxOp[] = [];
  for (const op of ops) {
    const version = baseVersion(op);
    if (op.serverId === serverId && op.baseVersion === version) {
      out.push(op);
      continue;
    }
    const next: OutboxOp = { ...op, serverId, baseVersion: version };
    await tx.putOp(next);
    out.push(next);
  }
  return out;
}

function pendingOnly(ops: readonly OutboxOp[]): OutboxOp[] {
  return ops.filter((op) => op.state !== 'dead');
}

/**
 * The record after the server acknowledged one of its ops: the server's version with this
 * device's unsent changes on top, or `undefined` to keep the local one (an older server
 * version while later local changes are pending).
 */
function adoptServerVersion(
  local: StoredRecord,
  remote: WireRecord,
  pending: readonly OutboxOp[],
  now: number,
): StoredRecord | undefined {
  if (remote.version < local.version && pending.length > 0) return undefined;
  const next = overlayPending(local, remote, pending, local.id, now);
  return local.syncStatus === 'conflicted'
    ? { ...next, syncStatus: 'conflicted', conflict: local.conflict, data: local.data }
    : next;
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
