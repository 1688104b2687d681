// Settling a sent batch: every outbox row change a push answer causes, made in batch order in
// the caller's transaction. The client decides what each answer means for each op (an
// OpOutcome); this file changes the rows.
import type { OutboxOp, StorageTransaction } from '../core/index.js';
import { renumberAfter } from './batch.js';

/** What an answered op gives the record's other ops (later writes, dead letters). */
export interface Rebase {
  /** The record's canonical id, written into each of its other ops. */
  readonly serverId: string;
  /**
   * The version the server gave the op when it applied it straight onto the op's base version
   * (no concurrent write, no merge): the record's later pending ops made on that same base are
   * moved onto it. Absent: every base version stays (after a merge or a conflict the strategy
   * decides).
   */
  readonly version?: number;
}

/** What the server's answer means for one op of a sent batch, as the client decided it. */
export type OpOutcome =
  /** Applied, merged or answered with a conflict: the op is done and its row goes. */
  | { readonly kind: 'ack'; readonly rebase?: Rebase }
  /**
   * Rejected or forbidden by the server, refused alone, or answered with a record that fails
   * the schema: the op moves to the dead letters with `code` and `message`. `unrecorded` when
   * the server never recorded it (the whole request was refused): its push seq is free again,
   * so the ops sent behind it are renumbered.
   */
  | {
      readonly kind: 'dead';
      readonly code: string;
      readonly message: string;
      readonly unrecorded?: boolean;
      readonly rebase?: Rebase;
    }
  /**
   * The server failed on the request (5xx): one more failure is counted against the op, which
   * stays in flight. An op failing alone (a batch of one) for the `maxAttempts`th time is a
   * poison op: it is dead-lettered (`SERVER_ERROR`) so the ops behind it can go (Invariant 5).
   */
  | { readonly kind: 'failed'; readonly reason: string; readonly maxAttempts: number }
  /**
   * The server answered `seq_gap`: it expects push seq `lastSeq + 1` next. Every sent op is
   * renumbered from there (once per batch) and re-sent.
   */
  | { readonly kind: 'seqGap'; readonly lastSeq: number };

/** What settling did to one op of the batch. */
export type SettledOp =
  /** The op's row is gone; `others` are the record's other ops as they now are. */
  | { readonly kind: 'acked'; readonly others: readonly OutboxOp[] }
  /** The op is a dead letter, as stored; `others` as for `acked` (empty without a rebase). */
  | { readonly kind: 'dead'; readonly op: OutboxOp; readonly others: readonly OutboxOp[] }
  /** A failure was counted (or the op was gone); it stays in flight. */
  | { readonly kind: 'counted' }
  /** The op was renumbered after a `seq_gap`; it stays in flight. */
  | { readonly kind: 'renumbered' };

/**
 * Applies `outcomes[i]` to `batch[i]`, in batch order, in `tx`. Storage calls per op: `ack`
 * one `deleteOp`; `dead` one `putOp`; with a `rebase`, one `listOps` of the record and one
 * `putOp` per other op that changes; `failed` one `getOp` and one `putOp`; `seqGap` one
 * renumbering of the outbox per batch (see {@link renumberAfter}).
 * @throws RangeError when `outcomes` does not hold one outcome per op of `batch`
 */
export async function settleBatch(
  tx: StorageTransaction,
  batch: readonly OutboxOp[],
  outcomes: readonly OpOutcome[],
): Promise<SettledOp[]> {
  if (outcomes.length !== batch.length) {
    throw new RangeError(`settle: ${outcomes.length} outcomes for a batch of ${batch.length} ops.`);
  }
  const out: SettledOp[] = [];
  let renumberedAfter: number | undefined;
  for (let i = 0; i < batch.length; i += 1) {
    const op = batch[i]!;
    const outcome = outcomes[i]!;
    switch (outcome.kind) {
      case 'ack': {
        await tx.deleteOp(op.opId);
        out.push({ kind: 'acked', others: await rebaseOthers(tx, op, outcome.rebase) });
        break;
      }
      case 'dead': {
        const { code, message } = outcome;
        const dead = await deadLetterOp(tx, op, code, message, outcome.unrecorded === true);
        out.push({ kind: 'dead', op: dead, others: await rebaseOthers(tx, op, outcome.rebase) });
        break;
      }
      case 'failed': {
        const poisoned = await countFailure(tx, op, batch.length === 1, outcome);
        out.push(poisoned ? { kind: 'dead', op: poisoned, others: [] } : { kind: 'counted' });
        break;
      }
      case 'seqGap': {
        if (renumberedAfter !== outcome.lastSeq) {
          await renumberAfter(tx, outcome.lastSeq);
          renumberedAfter = outcome.lastSeq;
        }
        out.push({ kind: 'renumbered' });
        break;
      }
    }
  }
  return out;
}

/**
 * Moves `op` to the dead letters with the reason and returns it as stored. With `unrecorded`
 * its push seq is free again: the ops sent behind it are renumbered to keep the sequence
 * contiguous.
 */
export async function deadLetterOp(
  tx: StorageTransaction,
  op: OutboxOp,
  code: string,
  message: string,
  unrecorded: boolean,
): Promise<OutboxOp> {
  const dead: OutboxOp = {
    ...op,
    state: 'dead',
    attempts: op.attempts + 1,
    error: { code, message },
  };
  await tx.putOp(dead);
  if (unrecorded && op.pushSeq !== null) await renumberAfter(tx, op.pushSeq - 1);
  return dead;
}

/**
 * Gives `ops` the canonical id `serverId` and the base version `baseVersion` picks, writing
 * only the ops that change. Returns the ops as they now are.
 */
export async function rebaseOps(
  tx: StorageTransaction,
  ops: readonly OutboxOp[],
  serverId: string,
  baseVersion: (op: OutboxOp) => number = (op) => op.baseVersion,
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

/** The other ops of `op`'s record after `rebase` (none read without one). */
async function rebaseOthers(
  tx: StorageTransaction,
  op: OutboxOp,
  rebase: Rebase | undefined,
): Promise<OutboxOp[]> {
  if (!rebase) return [];
  const others = (await tx.listOps({ collection: op.collection, recordId: op.id })).filter(
    (other) => other.opId !== op.opId,
  );
  const version = rebase.version;
  return rebaseOps(tx, others, rebase.serverId, (other) =>
    version !== undefined &&
    other.state !== 'dead' &&
    other.seq > op.seq &&
    other.baseVersion === op.baseVersion
      ? version
      : other.baseVersion,
  );
}

/** Counts one server failure against `op`; returns it dead-lettered when it is a poison op. */
async function countFailure(
  tx: StorageTransaction,
  op: OutboxOp,
  alone: boolean,
  outcome: { readonly reason: string; readonly maxAttempts: number },
): Promise<OutboxOp | undefined> {
  const current = await tx.getOp(op.opId);
  if (!current) return undefined;
  const attempts = current.attempts + 1;
  if (alone && attempts >= outcome.maxAttempts) {
    const message = `The server failed ${attempts} times on this op (last: ${outcome.reason}).`;
    return deadLetterOp(tx, current, 'SERVER_ERROR', message, true);
  }
  await tx.putOp({ ...current, attempts });
  return undefined;
}
