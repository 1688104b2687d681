import type {
  OpResult,
  OutboxOp,
  StorageTransaction,
  StoredRecord,
  WireRecord,
} from '../../core/index.js';
import { ProtocolError } from '../../core/index.js';
import { Outbox } from '../../outbox/index.js';
import type { EngineContext } from './engine-context.js';
import { needsReferenceRewrite, type ServerIdRemap } from '../local/id-mapping.js';
import { handleConflict } from './push-conflict.js';
import { overlayPending } from './pending-overlay.js';
import { checkRemoteRecord, type RemoteRejectedEvent } from './remote-validation.js';
import { isNewerThanApp } from './schema-versions.js';
import { noteSetAck } from './sync-set-records.js';

/** Counts of one push run. */
export interface PushTally {
  pushed: number;
  conflicts: number;
  rejected: number;
  readonly changed: Set<string>;
  /** Records of push answers that were not stored; reported once their batch committed. */
  readonly remoteRejected: RemoteRejectedEvent[];
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
  emitDeadLetter(ctx, await new Outbox(tx).deadLetter(op, code, message, unrecorded));
}

/** Tells the app that `op` (as stored, dead-lettered) was moved to the dead letters. */
export function emitDeadLetter(ctx: EngineContext, op: OutboxOp): void {
  const code = op.error?.code ?? 'SERVER_ERROR';
  const message = op.error?.message ?? '';
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
  checkResultIdentity(op, result.serverId, result.record);
  const outbox = new Outbox(tx);
  await outbox.ack(op);
  await noteSetAck(tx, ctx.collections.get(op.collection));
  ctx.clock.receive(result.record.hlc);
  const local = await tx.getRecord(op.collection, op.id);
  if (!local) return;
  const remapped = local.serverId !== result.serverId;
  if (remapped) await checkServerIdFree(tx, local, result.serverId);
  const record: StoredRecord = remapped ? { ...local, serverId: result.serverId } : local;
  if (remapped) {
    const remap = { collection: op.collection, from: local.id, to: result.serverId };
    if (needsReferenceRewrite(ctx.collections, remap)) remaps.push(remap);
  }
  // The record's other ops: every later write and any dead letter (the acked op is deleted).
  const others = await outbox.ofRecord(op.collection, op.id);
  const invalid = checkRemoteRecord(ctx.collections, result.record);
  if (invalid) {
    tally.remoteRejected.push({
      source: 'push',
      collection: op.collection,
      serverId: result.serverId,
      error: invalid,
    });
  }
  if (result.status === 'applied') {
    tally.pushed += 1;
    // The later ops were made on top of `op`; when the server applied `op` straight onto the
    // version it started from (no concurrent write, no merge), they are based on its new
    // version. After a merge they stay concurrent with the other write, and the strategy decides.
    const rebase = !result.merged && result.version === op.baseVersion + 1;
    const updated = await outbox.rebase(others, result.serverId, (other) =>
      rebase && other.state !== 'dead' && other.seq > op.seq && other.baseVersion === op.baseVersion
        ? result.version
        : other.baseVersion,
    );
    if (invalid) {
      // A record of a newer schema version keeps its version, so the pull after the app's
      // update brings the server's data.
      const version = isNewerThanApp(ctx.collections, result.record) ? 0 : result.version;
      await tx.putRecord(acknowledgedAsIs(record, version, pendingOnly(updated)));
      return;
    }
    const next = adoptServerVersion(record, result.record, pendingOnly(updated), ctx.now());
    if (next) await tx.putRecord(next);
    else if (remapped) await tx.putRecord(record);
    return;
  }
  await outbox.rebase(others, result.serverId);
  if (invalid) {
    // No valid server version to keep beside ours: the op waits as a dead letter, the app is told.
    if (remapped) await tx.putRecord(record);
    tally.rejected += 1;
    await deadLetter(ctx, tx, op, invalid.code, invalid.message, false);
    return;
  }
  tally.conflicts += 1;
  await handleConflict(ctx, tx, op, record, result.record);
}

/**
 * Refuses an answer whose record is not the one the op and its server id name (another
 * collection, another id): storing it would write one record's data under another's name.
 * @throws ProtocolError `PROTOCOL_ERROR`: nothing of the batch is applied
 */
function checkResultIdentity(op: OutboxOp, serverId: string, record: WireRecord): void {
  if (record.collection === op.collection && record.id === serverId) return;
  throw new ProtocolError(
    `The server answered op \`${op.opId}\` on \`${op.collection}/${op.id}\` with record \`${record.collection}/${record.id}\` under server id \`${serverId}\`. Nothing of the batch was applied; it will be re-sent.`,
  );
}

/**
 * Refuses a server id that would be a second name: a confirmed record given another server id,
 * or a new record mapped onto a server id another local record already holds.
 * @throws ProtocolError `PROTOCOL_ERROR`: nothing of the batch is applied, nothing overwritten
 */
async function checkServerIdFree(
  tx: StorageTransaction,
  local: StoredRecord,
  serverId: string,
): Promise<void> {
  const holder =
    local.serverId === null ? await tx.getRecordByServerId(local.collection, serverId) : local;
  if (!holder || holder.id === local.id) return;
  throw new ProtocolError(
    `The server mapped \`${local.collection}/${local.id}\` onto server id \`${serverId}\`, which ${holder === local ? `differs from its server id \`${local.serverId}\`` : `local record \`${holder.id}\` already holds`}. Nothing of the batch was applied; the outbox is kept.`,
  );
}

/**
 * The record after an applied op whose answer failed the schema: the server has the write, so
 * the op is done and the record takes the server's version number, but it keeps this device's
 * fields (which passed the schema) instead of the server's.
 */
function acknowledgedAsIs(
  record: StoredRecord,
  version: number,
  pending: readonly OutboxOp[],
): StoredRecord {
  const syncStatus =
    record.syncStatus === 'conflicted' ? 'conflicted' : pending.length > 0 ? 'pending' : 'synced';
  return { ...record, version: Math.max(record.version, version), syncStatus };
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
