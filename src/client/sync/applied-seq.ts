// The pull's `appliedSeq` (issue 17): the highest push seq S such that every op with a seq up
// to S that the server may have applied has had its answer applied here. The server leaves
// this client's own writes up to S out of its pulls (their echoes would change nothing here).
//
//   batch answered, first seq = S + 1, every answer adopted  ->  S = the batch's last seq
//   any other settlement (no answer: poison op, refused request, seq_gap renumbering, a
//   device restored from a backup; an answer not adopted)   ->  S stays (frozen)
//   a pull run that started with no op in flight reaches the feed head  ->  S = max(S, H),
//     H the highest push seq given out when it started (every state written by ops up to H
//     has come with that run, or earlier pulls, or their answers)
//   re-base, eviction (retention, clearCache), sign-out wipe  ->  S is deleted (unknown)
//   seq_gap with lastSeq < S (the server forgot writes)       ->  S = lastSeq
import type { OutboxOp, StorageTransaction } from '../../core/index.js';
import { Outbox, PUSH_SEQ_META_KEY } from '../../outbox/index.js';

/** Metadata key of the pull's `appliedSeq`. */
export const APPLIED_SEQ_META_KEY = 'pull.appliedSeq';

/** The `appliedSeq` to send with pulls, or `undefined` when unknown (nothing is left out). */
export async function readAppliedSeq(tx: StorageTransaction): Promise<number | undefined> {
  return tx.getMeta<number>(APPLIED_SEQ_META_KEY);
}

/**
 * After a batch's answers were applied in `tx`: moves `appliedSeq` to the batch's last push seq
 * when the batch continues it and every answer was adopted (`adopted`, see
 * `applyPushResults`). A client that never sent anything before starts at 0.
 */
export async function noteBatchApplied(
  tx: StorageTransaction,
  batch: readonly OutboxOp[],
  adopted: boolean,
): Promise<void> {
  if (!adopted || batch.length === 0) return;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const op of batch) {
    if (op.pushSeq === null) return;
    first = Math.min(first, op.pushSeq);
    last = Math.max(last, op.pushSeq);
  }
  // Batches are contiguous in seq; anything else is not ours to reason about.
  if (last - first + 1 !== batch.length) return;
  const current = (await readAppliedSeq(tx)) ?? (first === 1 ? 0 : undefined);
  if (current === undefined || first !== current + 1) return;
  await tx.setMeta(APPLIED_SEQ_META_KEY, last);
}

/**
 * The server answered `seq_gap` with `lastSeq`: when that is below `appliedSeq`, the server no
 * longer has the writes above it (restored from a backup), and the seqs above are handed out
 * again, so `appliedSeq` goes down to `lastSeq`.
 */
export async function lowerAppliedSeq(tx: StorageTransaction, lastSeq: number): Promise<void> {
  const current = await readAppliedSeq(tx);
  if (current !== undefined && current > lastSeq) await tx.setMeta(APPLIED_SEQ_META_KEY, lastSeq);
}

/** Forgets `appliedSeq` (the device dropped synced records, or starts over). */
export async function forgetAppliedSeq(tx: StorageTransaction): Promise<void> {
  if ((await readAppliedSeq(tx)) !== undefined) await tx.setMeta(APPLIED_SEQ_META_KEY, undefined);
}

/**
 * At the start of a pull run: the push seq `appliedSeq` may move to once the run reaches the
 * feed head, or `undefined` when an op is in flight (its write may commit after the run's
 * snapshot, and its answer may never come).
 */
export async function catchUpSeq(tx: StorageTransaction): Promise<number | undefined> {
  if ((await new Outbox(tx).peek()).inflight) return undefined;
  return (await tx.getMeta<number>(PUSH_SEQ_META_KEY)) ?? 0;
}

/** At the end of a pull run that reached the feed head: `appliedSeq` = max(it, `catchUp`). */
export async function catchUpAppliedSeq(tx: StorageTransaction, catchUp: number): Promise<void> {
  const current = await readAppliedSeq(tx);
  if (current === undefined || current < catchUp) await tx.setMeta(APPLIED_SEQ_META_KEY, catchUp);
}
