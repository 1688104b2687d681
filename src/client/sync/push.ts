import type { OutboxOp } from '../../core/index.js';
import { NetworkError } from '../../core/index.js';
import { type OpOutcome, Outbox } from '../../outbox/index.js';
import type { ClientContext } from '../client-context.js';
import { ReferenceLookup } from '../local/id-mapping.js';
import { matchResults } from './push-answer.js';
import { batchRequest, toWireOps } from './push-batch.js';
import { applyPushResults, emitDeadLetter, type PushTally } from './push-results.js';
import type { ServerApi } from './server-api.js';
import { observeServerTime, persistClock } from '../local/transaction-clock.js';
import { lowerAppliedSeq, noteBatchApplied } from './applied-seq.js';
import { committedEvents } from './committed-events.js';

const MAX_GAP_RETRIES = 3;

/**
 * Pushes the outbox in batches until it is empty, the deadline passes, or a request fails.
 *
 *   select batch (assign push seqs, mark in flight) -> send -> apply per-op results
 *        ^                                                          |
 *        +----------------------- more queued ------------------------+
 *
 * A failed request leaves the batch in flight with the same opIds and push seqs, so the next
 * attempt re-sends it unchanged and the server's replay answers it (exactly-once effect).
 * No new batch starts after `deadlineAt` (wall ms, `runOnce`). `onSettled` is called each time
 * the outbox's pending ops changed (a batch's results applied, an op dead-lettered).
 */
export async function pushOutbox(
  ctx: ClientContext,
  server: ServerApi,
  deadlineAt: number | undefined,
  onSettled: () => void,
): Promise<PushTally> {
  const tally: PushTally = {
    pushed: 0,
    conflicts: 0,
    rejected: 0,
    changed: new Set(),
    remoteRejected: [],
  };
  let limit = ctx.opts.batchSize;
  let gapRetries = 0;
  const pending = await countPending(ctx);
  // Nothing to send: no write transaction at all (a sync that only pulls). A write committed
  // after this read goes with the next run, like one committed after the last batch was picked.
  if (pending.total === 0) return tally;
  let total = pending.total;
  // Whether ops may be in flight from an earlier attempt (a lost response, a crash). Only
  // `Outbox.nextBatch` marks ops in flight, and applying a batch's results settles every op of it, so
  // after a batch picked from queued ops is applied none are left: the next selection need not
  // look for them (a scan of the outbox on stores without an index on the state).
  let inflightPossible = pending.inflight;
  for (;;) {
    // Start a batch only if it is expected to finish before the deadline (runOnce): recent
    // batches' time per op, times the ops this one may hold (the limit, or what is left).
    if (deadlineAt !== undefined) {
      const left = total - (tally.pushed + tally.conflicts + tally.rejected);
      const expectedMs = ctx.timing.opMs * Math.min(limit, Math.max(1, left));
      if (ctx.opts.now() + expectedMs >= deadlineAt) break;
    }
    const startedAt = ctx.opts.now();
    // One transaction picks the batch, marks it in flight and builds its wire form.
    const { batch, resent, wire } = await ctx.opts.storage.transaction('readwrite', async (tx) => {
      const refs = new ReferenceLookup(tx);
      const picked = await new Outbox(tx).nextBatch(
        batchRequest(ctx, refs, limit, inflightPossible),
      );
      return { ...picked, wire: await toWireOps(ctx, refs, picked.batch) };
    });
    if (batch.length === 0) break;
    inflightPossible = true;
    let answer: Awaited<ReturnType<ServerApi['push']>>;
    try {
      answer = await server.push(wire, ctx.abort.signal);
    } catch (error) {
      if (!isServerFailure(error)) throw error;
      // The server failed on this batch. Count it against the ops; one that keeps failing
      // alone is a poison op: dead-letter it so the ops behind it can go (Invariant 5).
      const poisoned = await settleRequest(ctx, batch, {
        kind: 'failed',
        reason: error.message,
        maxAttempts: ctx.opts.retry.maxAttempts,
      });
      if (!poisoned) throw error;
      onSettled();
      tally.rejected += 1;
      tally.changed.add(poisoned.collection);
      emitDeadLetter(ctx.emit, poisoned);
      continue;
    }
    if (!answer.ok) {
      const error = answer.refusal;
      if (error.code === 'seq_gap' && error.lastSeq !== undefined && gapRetries < MAX_GAP_RETRIES) {
        gapRetries += 1;
        const { lastSeq } = error;
        await ctx.opts.storage.transaction('readwrite', (tx) => lowerAppliedSeq(tx, lastSeq));
        await settleRequest(ctx, batch, { kind: 'seqGap', lastSeq });
        continue;
      }
      if (['bad_request', 'payload_too_large', 'not_found'].includes(error.code)) {
        // The request as a whole was refused. Split down to single ops so that only the op
        // that is itself unacceptable ends up dead-lettered; the rest go through.
        if (batch.length > 1) {
          limit = 1;
          continue;
        }
        const [op] = batch;
        if (op) {
          const { code, message } = error;
          const dead = await settleRequest(ctx, batch, {
            kind: 'dead',
            code,
            message,
            unrecorded: true,
          });
          onSettled();
          tally.rejected += 1;
          tally.changed.add(op.collection);
          if (dead) emitDeadLetter(ctx.emit, dead);
        }
        continue;
      }
      throw server.refusalError('push', error);
    }
    const reply = answer.reply;
    const results = matchResults(ctx.opts.collections, batch, wire, reply.results);
    const events = committedEvents(ctx.emit);
    await ctx.opts.storage.transaction('readwrite', async (tx) => {
      const adopted = await applyPushResults(ctx, tx, results, tally, events.emit);
      await noteBatchApplied(tx, batch, adopted);
      observeServerTime(ctx.clock, reply);
      await persistClock(tx, ctx.clock);
    });
    // Counted as settled before the app hears of it: a handler that throws ends this run, and
    // the status counts are read again then.
    onSettled();
    events.flush();
    for (const event of tally.remoteRejected.splice(0)) ctx.emit('remoteRejected', event);
    inflightPossible = resent;
    gapRetries = 0;
    const opMs = (ctx.opts.now() - startedAt) / batch.length;
    ctx.timing.opMs = ctx.timing.opMs === 0 ? opMs : ctx.timing.opMs * 0.5 + opMs * 0.5;
    if (limit < ctx.opts.batchSize) limit = Math.min(ctx.opts.batchSize, limit * 2);
    const done = tally.pushed + tally.conflicts + tally.rejected;
    total = Math.max(total, done);
    ctx.emit('progress', { phase: 'push', done, total });
  }
  return tally;
}

/**
 * Settles every op of `batch` with one outcome (an answer to the whole request) in one
 * transaction; returns the op it dead-lettered, if any (the caller emits `deadLetter` for it,
 * after counting the batch as settled).
 */
async function settleRequest(
  ctx: ClientContext,
  batch: readonly OutboxOp[],
  outcome: OpOutcome,
): Promise<OutboxOp | undefined> {
  const dead = await ctx.opts.storage.transaction('readwrite', async (tx) => {
    const settled = await new Outbox(tx).settle(
      batch,
      batch.map(() => outcome),
    );
    return settled.find((s) => s.kind === 'dead')?.op;
  });
  return dead;
}

/**
 * Whether anything waits to be sent, and whether ops may be in flight, from two one-op reads
 * (not a read of the whole outbox: an offline client retries this with all its ops queued).
 * The progress total is the client's own count of pending ops, at least 1 when any are.
 */
async function countPending(ctx: ClientContext): Promise<{ total: number; inflight: boolean }> {
  return ctx.opts.storage.transaction('readonly', async (tx) => {
    const { any, inflight } = await new Outbox(tx).peek();
    return { total: any ? Math.max(ctx.status.value.pendingOps, 1) : 0, inflight };
  });
}

function isServerFailure(error: unknown): error is NetworkError {
  return (
    error instanceof NetworkError &&
    error.status !== undefined &&
    error.status >= 500 &&
    error.status !== 503
  );
}
