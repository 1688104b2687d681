import type { OpResult, OutboxOp, StorageTransaction, WireOp } from '../core/index.js';
import {
  PROTOCOL_VERSION,
  ProtocolError,
  errorResponseSchema,
  pushResponseSchema,
} from '../core/index.js';
import { renumberAfter, takeBatch } from '../queue/index.js';
import type { EngineContext } from './engine-context.js';
import { referencesUnconfirmed, resolveReferences } from './id-mapping.js';
import { applyOpResult, deadLetter, type PushTally } from './push-results.js';
import { HLC_META_KEY } from './write-context.js';

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
 */
export async function pushOutbox(ctx: EngineContext): Promise<PushTally> {
  const tally: PushTally = { pushed: 0, conflicts: 0, rejected: 0, changed: new Set() };
  let limit = ctx.batchSize;
  let gapRetries = 0;
  let total = await countPending(ctx);
  for (;;) {
    if (ctx.deadlineAt !== undefined && ctx.now() >= ctx.deadlineAt) break;
    const batch = await ctx.storage.transaction('readwrite', (tx) => selectBatch(ctx, tx, limit));
    if (batch.length === 0) break;
    const wire = await ctx.storage.transaction('readonly', (tx) => toWireOps(ctx, tx, batch));
    const raw = await ctx.transport.send(
      'push',
      { protocol: PROTOCOL_VERSION, clientId: ctx.clientId, ops: wire },
      ctx.signal ? { signal: ctx.signal } : {},
    );
    const failure = errorResponseSchema.safeParse(raw);
    if (failure.success) {
      const error = failure.data.error;
      if (error.code === 'seq_gap' && error.lastSeq !== undefined && gapRetries < MAX_GAP_RETRIES) {
        gapRetries += 1;
        const lastSeq = error.lastSeq;
        await ctx.storage.transaction('readwrite', (tx) => renumberAfter(tx, lastSeq));
        continue;
      }
      if (['bad_request', 'payload_too_large', 'forbidden', 'not_found'].includes(error.code)) {
        // The request as a whole was refused. Split down to single ops so that only the op
        // that is itself unacceptable ends up dead-lettered; the rest go through.
        if (batch.length > 1) {
          limit = 1;
          continue;
        }
        const [op] = batch;
        if (op) {
          await ctx.storage.transaction('readwrite', (tx) =>
            deadLetter(ctx, tx, op, error.code, error.message, true),
          );
          tally.rejected += 1;
          tally.changed.add(op.collection);
        }
        continue;
      }
      throw new ProtocolError(
        `The server refused the push with \`${error.code}\`: ${error.message}`,
      );
    }
    const parsed = pushResponseSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ProtocolError(
        `The server's push response does not follow protocol ${PROTOCOL_VERSION}: ${parsed.error.issues[0]?.message ?? 'invalid'} at \`${parsed.error.issues[0]?.path.join('.') ?? ''}\`. Nothing was applied; the outbox is kept.`,
      );
    }
    const results = matchResults(batch, parsed.data.results);
    await ctx.storage.transaction('readwrite', async (tx) => {
      for (const [op, result] of results) await applyOpResult(ctx, tx, op, result, tally);
      await tx.setMeta(HLC_META_KEY, ctx.clock.peek());
    });
    gapRetries = 0;
    if (limit < ctx.batchSize) limit = Math.min(ctx.batchSize, limit * 2);
    const done = tally.pushed + tally.conflicts + tally.rejected;
    total = Math.max(total, done);
    ctx.emit('progress', { phase: 'push', done, total });
  }
  return tally;
}

async function countPending(ctx: EngineContext): Promise<number> {
  return ctx.storage.transaction(
    'readonly',
    async (tx) => (await tx.listOps({ states: ['queued', 'inflight'] })).length,
  );
}

function matchResults(
  batch: readonly OutboxOp[],
  results: readonly OpResult[],
): [OutboxOp, OpResult][] {
  const byId = new Map(results.map((r) => [r.opId, r]));
  if (byId.size !== results.length || results.length !== batch.length) {
    throw new ProtocolError(
      `The server answered ${results.length} results for a batch of ${batch.length} ops. Nothing was applied; the batch will be re-sent.`,
    );
  }
  return batch.map((op) => {
    const result = byId.get(op.opId);
    if (!result) {
      throw new ProtocolError(
        `The server's push response has no result for op \`${op.opId}\`. Nothing was applied; the batch will be re-sent.`,
      );
    }
    return [op, result];
  });
}

async function selectBatch(
  ctx: EngineContext,
  tx: StorageTransaction,
  limit: number,
): Promise<OutboxOp[]> {
  const candidates = await tx.listOps({ states: ['queued', 'inflight'], limit });
  // Cut the batch before an op that references a record inserted earlier in the same batch:
  // the server id it must carry is only known once that insert is acknowledged.
  // Also cut before a second op of the same record: each op's baseVersion is rebased on the
  // acknowledgement of the one before it, so the server never mistakes our own earlier write
  // for a concurrent one.
  const inserts = new Set<string>();
  const records = new Set<string>();
  const chosen: OutboxOp[] = [];
  for (const op of candidates) {
    const key = `${op.collection}\u0000${op.id}`;
    if (records.has(key)) break;
    records.add(key);
    const collection = ctx.collections.get(op.collection);
    if (collection && chosen.length > 0) {
      const payload = op.type === 'update' ? op.data : op.type === 'insert' ? op.data : null;
      if (referencesUnconfirmed(collection, payload, inserts)) break;
    }
    chosen.push(op);
    if (op.type === 'insert') inserts.add(`${op.collection}\u0000${op.id}`);
  }
  return takeBatch(tx, chosen);
}

async function toWireOps(
  ctx: EngineContext,
  tx: StorageTransaction,
  batch: readonly OutboxOp[],
): Promise<WireOp[]> {
  const out: WireOp[] = [];
  for (const op of batch) {
    const collection = ctx.collections.get(op.collection);
    const record = await tx.getRecord(op.collection, op.id);
    const data = collection ? await resolveReferences(tx, collection, op.data) : op.data;
    const patch = collection ? await resolveReferences(tx, collection, op.patch) : op.patch;
    out.push({
      opId: op.opId,
      seq: op.pushSeq ?? 0,
      collection: op.collection,
      id: op.id,
      serverId: record?.serverId ?? op.serverId,
      type: op.type,
      data,
      patch,
      baseVersion: op.baseVersion,
      hlc: op.hlc,
      fieldClocks: op.fieldClocks,
    });
  }
  return out;
}
