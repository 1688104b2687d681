import type {
  OpResult,
  OutboxOp,
  StorageTransaction,
  StoredRecord,
  WireRecord,
} from '../../core/index.js';
import { type OpOutcome, Outbox, type SettledOp } from '../../outbox/index.js';
import type { ClientContext, EmitEvent } from '../client-context.js';
import {
  needsReferenceRewrite,
  rewriteReferences,
  type ServerIdRemap,
} from '../local/id-mapping.js';
import type { AnsweredOp } from './push-answer.js';
import {
  batchRecords,
  checkResultIdentity,
  checkServerIdFree,
  serverIdHolders,
} from './push-checks.js';
import { handleConflict } from './push-conflict.js';
import type { FoundRecords } from './batch-lookup.js';
import { overlayPending } from './pending-overlay.js';
import {
  checkRemoteRecord,
  type InvalidRemoteRecordError,
  type RemoteRejectedEvent,
} from './remote-validation.js';
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

/** Tells the app that `op` (as stored, dead-lettered) was moved to the dead letters. */
export function emitDeadLetter(emit: EmitEvent, op: OutboxOp): void {
  const code = op.error?.code ?? 'SERVER_ERROR';
  const message = op.error?.message ?? '';
  emit('deadLetter', { opId: op.opId, collection: op.collection, id: op.id, code, message });
}

/** One answered op, decided: the outcome for the Outbox, and what its record side needs. */
interface Decided {
  readonly op: OutboxOp;
  readonly result: OpResult;
  readonly outcome: OpOutcome;
  /** The op's local record (none: rejected, or the record is gone). */
  readonly local?: StoredRecord | undefined;
  /** The answer's record failed the collection's schema. */
  readonly invalid?: InvalidRemoteRecordError | undefined;
}

/**
 * Applies a batch's per-op server results in the caller's transaction, in three steps: each
 * result is checked and decided (one record read per acknowledged op), the Outbox settles every
 * op's row in one call ({@link Outbox.settle}), then each record takes its result (written
 * once; conflicts go to the strategy). A temporary id that other records reference is rewritten
 * once for the batch. A malformed answer throws before any row changes.
 * Resolves `true` when every answered record was adopted (the echo of each would change
 * nothing here), for the pull's `appliedSeq` (applied-seq.ts).
 * @throws ProtocolError `PROTOCOL_ERROR` for an answer naming another record or a taken server id
 */
export async function applyPushResults(
  ctx: ClientContext,
  tx: StorageTransaction,
  results: readonly AnsweredOp[],
  tally: PushTally,
  emit: EmitEvent,
): Promise<boolean> {
  const decided: Decided[] = [];
  const known = await batchRecords(tx, results);
  const holders = known && (await serverIdHolders(tx, results, known));
  for (const answered of results) decided.push(await decide(ctx, tx, answered, known, holders));
  const settled = await new Outbox(tx).settle(
    decided.map((d) => d.op),
    decided.map((d) => d.outcome),
  );
  const remaps: ServerIdRemap[] = [];
  let adopted = true;
  for (let i = 0; i < decided.length; i += 1) {
    await applyToRecord(ctx, tx, decided[i]!, settled[i]!, tally, remaps, emit);
    adopted &&= isAdopted(decided[i]!);
  }
  await rewriteReferences(tx, ctx.opts.collections, remaps);
  return adopted;
}

/**
 * Whether the answer's record is here now (or its echo would change nothing): not when an
 * applied write found no local record (unless a delete) or failed the schema.
 */
function isAdopted({ result, local, invalid }: Decided): boolean {
  if (result.status !== 'applied') return true; // the server wrote nothing for it
  if (invalid) return false;
  return local !== undefined || result.record.deleted;
}

/** What the server's result means for the op's row (nothing is written here). */
async function decide(
  ctx: ClientContext,
  tx: StorageTransaction,
  { op, result, rebuilt }: AnsweredOp,
  known: FoundRecords | undefined,
  holders: FoundRecords | undefined,
): Promise<Decided> {
  if (result.status === 'rejected') {
    return { op, result, outcome: { kind: 'dead', code: result.code, message: result.message } };
  }
  checkResultIdentity(op, result.serverId, result.record);
  const local = known
    ? known.get(op.collection)?.get(op.id)
    : await tx.getRecord(op.collection, op.id);
  if (!local) return { op, result, outcome: { kind: 'ack' } };
  if (local.serverId !== result.serverId) {
    await checkServerIdFree(tx, local, result.serverId, holders);
  }
  // A record rebuilt from a lean result is this device's own data: nothing new to check.
  const invalid = rebuilt ? undefined : checkRemoteRecord(ctx.opts.collections, result.record);
  const serverId = result.serverId;
  if (result.status === 'applied') {
    // The later ops were made on top of `op`; when the server applied `op` straight onto the
    // version it started from (no concurrent write, no merge), they are based on its new
    // version. After a merge they stay concurrent with the other write, and the strategy decides.
    const straight = !result.merged && result.version === op.baseVersion + 1;
    const rebase = straight ? { serverId, version: result.version } : { serverId };
    return { op, result, local, invalid, outcome: { kind: 'ack', rebase } };
  }
  // A conflict answered with a record that fails the schema: no valid server version to keep
  // beside ours, so the op waits as a dead letter.
  const outcome: OpOutcome = invalid
    ? { kind: 'dead', code: invalid.code, message: invalid.message, rebase: { serverId } }
    : { kind: 'ack', rebase: { serverId } };
  return { op, result, local, invalid, outcome };
}

/**
 * The record side of one settled op. Per acknowledged op the record is written once; the
 * app hears of a dead letter (`deadLetter`), of an answer that failed the schema
 * (`remoteRejected`, after the commit) and of a conflict.
 */
async function applyToRecord(
  ctx: ClientContext,
  tx: StorageTransaction,
  { op, result, local, invalid }: Decided,
  settled: SettledOp,
  tally: PushTally,
  remaps: ServerIdRemap[],
  emit: EmitEvent,
): Promise<void> {
  tally.changed.add(op.collection);
  if (result.status === 'rejected') {
    tally.rejected += 1;
    if (settled.kind === 'dead') emitDeadLetter(emit, settled.op);
    return;
  }
  await noteSetAck(tx, ctx.opts.collections.get(op.collection));
  ctx.clock.receive(result.record.hlc);
  if (!local) return;
  const remapped = local.serverId !== result.serverId;
  const record: StoredRecord = remapped ? { ...local, serverId: result.serverId } : local;
  if (remapped) {
    const remap = { collection: op.collection, from: local.id, to: result.serverId };
    if (needsReferenceRewrite(ctx.opts.collections, remap)) remaps.push(remap);
  }
  if (invalid) {
    tally.remoteRejected.push({
      source: 'push',
      collection: op.collection,
      serverId: result.serverId,
      error: invalid,
    });
  }
  const others = settled.kind === 'acked' || settled.kind === 'dead' ? settled.others : [];
  if (result.status === 'applied') {
    tally.pushed += 1;
    if (invalid) {
      // A record of a newer schema version keeps its version, so the pull after the app's
      // update brings the server's data.
      const version = isNewerThanApp(ctx.opts.collections, result.record) ? 0 : result.version;
      await tx.putRecord(acknowledgedAsIs(record, version, pendingOnly(others)));
      return;
    }
    const next = adoptServerVersion(record, result.record, pendingOnly(others), ctx.opts.now());
    if (next) await tx.putRecord(next);
    else if (remapped) await tx.putRecord(record);
    return;
  }
  if (settled.kind === 'dead') {
    if (remapped) await tx.putRecord(record);
    tally.rejected += 1;
    emitDeadLetter(emit, settled.op);
    return;
  }
  tally.conflicts += 1;
  await handleConflict(ctx, tx, op, record, result.record, emit);
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
