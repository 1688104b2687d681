import type { OutboxOp, StorageTransaction, WireOp } from '../core/index.js';
import { takeBatch } from '../outbox/index.js';
import type { EngineContext } from './engine-context.js';
import {
  type ReferenceLookup,
  referencesUnconfirmedInsert,
  resolveReferences,
} from './id-mapping.js';

/**
 * Picks the next batch. Ops already in flight go first and alone (same opIds, same push seqs,
 * so the server replays what it has). Otherwise queued ops by collection priority, then seq,
 * skipping (with every later op of the same record) an op that references a record whose
 * insert is not confirmed yet, and taking at most one op per record: each op's baseVersion is
 * rebased on the acknowledgement of the one before it. `resent` tells which of the two it is.
 * With `inflightPossible` false the caller knows that no op is in flight.
 */
export async function selectBatch(
  ctx: EngineContext,
  tx: StorageTransaction,
  refs: ReferenceLookup,
  requested: number,
  inflightPossible: boolean,
): Promise<{ batch: OutboxOp[]; resent: boolean }> {
  const inflight = inflightPossible ? await tx.listOps({ states: ['inflight'] }) : [];
  if (inflight.length > 0) {
    inflight.sort((a, b) => (a.pushSeq ?? 0) - (b.pushSeq ?? 0));
    return { batch: inflight.slice(0, batchLimit(inflight, requested)), resent: true };
  }
  let chosen: OutboxOp[];
  if (hasPriorities(ctx)) {
    chosen = await chooseByPriority(ctx, tx, refs, requested);
  } else {
    // Usually the first `requested` queued ops are the batch. When some of them are skipped
    // (a second op of a record, a reference still waiting), look further, up to 4x as far.
    let queued = await tx.listOps({ states: ['queued'], limit: requested });
    chosen = await choose(ctx, refs, queued, requested);
    if (queued.length === requested && chosen.length < batchLimit(queued, requested)) {
      queued = await tx.listOps({ states: ['queued'], limit: requested * 4 });
      chosen = await choose(ctx, refs, queued, requested);
    }
  }
  return { batch: await takeBatch(tx, chosen), resent: false };
}

/**
 * The batch when collections have different priorities: the same choice as over every queued
 * op sorted by priority then seq, read one priority level at a time and, within a level, a
 * window per collection (widened while the batch is not full). Only when the batch is not full
 * after every level is every queued op read (that also finds ops of collections this client no
 * longer defines, priority 0).
 */
async function chooseByPriority(
  ctx: EngineContext,
  tx: StorageTransaction,
  refs: ReferenceLookup,
  requested: number,
): Promise<OutboxOp[]> {
  const levels = new Map<number, string[]>();
  for (const c of ctx.collections.values())
    levels.set(c.priority, [...(levels.get(c.priority) ?? []), c.name]);
  let prefix: OutboxOp[] = [];
  for (const level of [...levels.keys()].sort((a, b) => b - a)) {
    for (let size = requested; ; size *= 4) {
      const window = await levelWindow(tx, levels.get(level) ?? [], size);
      const list = [...prefix, ...window.ops];
      const chosen = await choose(ctx, refs, list, requested);
      if (chosen.length >= batchLimit(list, requested)) return chosen;
      if (window.complete) {
        prefix = list;
        break;
      }
    }
  }
  const queued = await tx.listOps({ states: ['queued'] });
  const priority = (op: OutboxOp) => ctx.collections.get(op.collection)?.priority ?? 0;
  queued.sort((a, b) => priority(b) - priority(a) || a.seq - b.seq);
  return choose(ctx, refs, queued, requested);
}

/**
 * The first queued ops (by seq) of a set of collections, read `size` per collection: every op
 * up to the lowest seq that a full window may have left out, so the list is exact as far as it
 * goes. `complete` when no window was full.
 */
async function levelWindow(
  tx: StorageTransaction,
  collections: readonly string[],
  size: number,
): Promise<{ ops: OutboxOp[]; complete: boolean }> {
  let cut = Infinity;
  const ops: OutboxOp[] = [];
  for (const collection of collections) {
    const window = await tx.listOps({ states: ['queued'], collection, limit: size });
    ops.push(...window);
    const last = window.at(-1);
    if (window.length >= size && last) cut = Math.min(cut, last.seq);
  }
  ops.sort((a, b) => a.seq - b.seq);
  return { ops: ops.filter((op) => op.seq <= cut), complete: cut === Infinity };
}

/** How many ops a batch may hold: one alone after a failure, so a poison op is found. */
function batchLimit(queued: readonly OutboxOp[], requested: number): number {
  return (queued[0]?.attempts ?? 0) > 0 ? 1 : requested;
}

/** The batch from `queued` (in sending order): one op per record, none waiting on a reference. */
async function choose(
  ctx: EngineContext,
  refs: ReferenceLookup,
  queued: readonly OutboxOp[],
  requested: number,
): Promise<OutboxOp[]> {
  const limit = batchLimit(queued, requested);
  const seen = new Set<string>();
  const chosen: OutboxOp[] = [];
  for (const op of queued) {
    if (chosen.length >= limit) break;
    const key = `${op.collection}\u0000${op.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const collection = ctx.collections.get(op.collection);
    if (
      collection &&
      op.data &&
      (await referencesUnconfirmedInsert(refs, collection, op.data, op.id))
    )
      continue;
    chosen.push(op);
  }
  return chosen;
}

function hasPriorities(ctx: EngineContext): boolean {
  const values = new Set([...ctx.collections.values()].map((c) => c.priority));
  return values.size > 1;
}

/**
 * The server id to send with `op`. An op carries its record's server id: it is set when the op
 * is made and rewritten into every op of the record when the server assigns one. Only an
 * update or delete still without one looks at the record (an insert never has one to find).
 */
async function currentServerId(refs: ReferenceLookup, op: OutboxOp): Promise<string | null> {
  if (op.serverId !== null || op.type === 'insert') return op.serverId;
  return (await refs.record(op.collection, op.id))?.serverId ?? null;
}

/** The wire form of a batch: reference fields and server ids as the server should see them. */
export async function toWireOps(
  ctx: EngineContext,
  refs: ReferenceLookup,
  batch: readonly OutboxOp[],
): Promise<WireOp[]> {
  const out: WireOp[] = [];
  for (const op of batch) {
    const collection = ctx.collections.get(op.collection);
    const data = collection ? await resolveReferences(refs, collection, op.data) : op.data;
    const patch = collection ? await resolveReferences(refs, collection, op.patch) : op.patch;
    out.push({
      opId: op.opId,
      seq: op.pushSeq ?? 0,
      collection: op.collection,
      id: op.id,
      serverId: await currentServerId(refs, op),
      type: op.type,
      data,
      patch,
      baseVersion: op.baseVersion,
      hlc: op.hlc,
      fieldClocks: op.fieldClocks,
      // The local upgrade at open moves every stored op to the app's version.
      ...(collection ? { schemaVersion: collection.version } : {}),
    });
  }
  return out;
}
