import type { OutboxOp, StorageTransaction } from '../core/index.js';

/** Metadata key of the last push sequence number assigned. */
export const PUSH_SEQ_META_KEY = 'outbox.pushSeq';

/** What the client tells the outbox about the next batch: it owns collections and references. */
export interface BatchRequest {
  /** Most ops in the batch. */
  readonly limit: number;
  /**
   * Most bytes of the batch's ops, as {@link opBytes} estimates them (UTF-16 code units of
   * their JSON); a batch always holds at least one op, however large. Absent: no byte bound.
   */
  readonly maxBytes?: number;
  /** False when the caller knows that no op is in flight (skips that read). */
  readonly inflightPossible: boolean;
  /** Priority of each collection the client defines (higher goes first; unknown ones are 0). */
  readonly priorities: ReadonlyMap<string, number>;
  /** True when `op` must wait (it references a record whose insert is not confirmed yet). */
  readonly blocked: (op: OutboxOp) => Promise<boolean>;
}

/**
 * Picks the next batch. Ops already in flight go first and alone (same opIds, same push seqs,
 * so the server replays what it has). Otherwise queued ops by collection priority, then seq,
 * skipping (with every later op of the same record) a blocked op, and taking at most one op per
 * record: each op's baseVersion is rebased on the acknowledgement of the one before it.
 * `resent` tells which of the two it is. The chosen queued ops are marked in flight.
 */
export async function selectBatch(
  tx: StorageTransaction,
  request: BatchRequest,
): Promise<{ batch: OutboxOp[]; resent: boolean }> {
  const requested = request.limit;
  const inflight = request.inflightPossible ? await tx.listOps({ states: ['inflight'] }) : [];
  if (inflight.length > 0) {
    inflight.sort((a, b) => (a.pushSeq ?? 0) - (b.pushSeq ?? 0));
    const limit = batchLimit(inflight, requested);
    return { batch: withinBytes(inflight.slice(0, limit), request.maxBytes), resent: true };
  }
  let chosen: OutboxOp[];
  if (new Set(request.priorities.values()).size > 1) {
    chosen = await chooseByPriority(tx, request);
  } else {
    // Usually the first `requested` queued ops are the batch. When some of them are skipped
    // (a second op of a record, a reference still waiting), look further, up to 4x as far.
    let queued = await tx.listOps({ states: ['queued'], limit: requested });
    let choice = await choose(request, queued);
    if (queued.length === requested && !choice.full) {
      queued = await tx.listOps({ states: ['queued'], limit: requested * 4 });
      choice = await choose(request, queued);
    }
    chosen = choice.ops;
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
  tx: StorageTransaction,
  request: BatchRequest,
): Promise<OutboxOp[]> {
  const requested = request.limit;
  const levels = new Map<number, string[]>();
  for (const [name, priority] of request.priorities)
    levels.set(priority, [...(levels.get(priority) ?? []), name]);
  let prefix: OutboxOp[] = [];
  for (const level of [...levels.keys()].sort((a, b) => b - a)) {
    for (let size = requested; ; size *= 4) {
      const window = await levelWindow(tx, levels.get(level) ?? [], size);
      const list = [...prefix, ...window.ops];
      const chosen = await choose(request, list);
      if (chosen.full) return chosen.ops;
      if (window.complete) {
        prefix = list;
        break;
      }
    }
  }
  const queued = await tx.listOps({ states: ['queued'] });
  const priority = (op: OutboxOp) => request.priorities.get(op.collection) ?? 0;
  queued.sort((a, b) => priority(b) - priority(a) || a.seq - b.seq);
  return (await choose(request, queued)).ops;
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

/**
 * The batch from `queued` (in sending order): one op per record, none blocked, within the
 * request's op and byte bounds. `full` when a bound stopped it (looking further cannot add).
 */
async function choose(
  request: BatchRequest,
  queued: readonly OutboxOp[],
): Promise<{ ops: OutboxOp[]; full: boolean }> {
  const limit = batchLimit(queued, request.limit);
  const maxBytes = request.maxBytes ?? Infinity;
  const seen = new Set<string>();
  const chosen: OutboxOp[] = [];
  let bytes = 0;
  for (const op of queued) {
    if (chosen.length >= limit) return { ops: chosen, full: true };
    const key = `${op.collection}\u0000${op.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (await request.blocked(op)) continue;
    if (maxBytes !== Infinity) {
      const size = opBytes(op);
      if (chosen.length > 0 && bytes + size > maxBytes) return { ops: chosen, full: true };
      bytes += size;
    }
    chosen.push(op);
  }
  return { ops: chosen, full: chosen.length >= limit };
}

/** The longest prefix of `ops` within `maxBytes` (at least one op). */
function withinBytes(ops: OutboxOp[], maxBytes: number | undefined): OutboxOp[] {
  if (maxBytes === undefined) return ops;
  let bytes = 0;
  for (let i = 0; i < ops.length; i += 1) {
    bytes += opBytes(ops[i]!);
    if (i > 0 && bytes > maxBytes) return ops.slice(0, i);
  }
  return ops;
}

// Room for an op's envelope on the wire: its ids (at most 128 characters each), seq, type,
// versions, clock and the JSON keys and punctuation around them.
const OP_ENVELOPE_BYTES = 768;

/**
 * An op's size in a push body, estimated: its data, patch and field clocks as JSON, in UTF-16
 * code units (bytes for ASCII text; UTF-8 takes up to 3 bytes for one unit), plus a fixed
 * envelope. Reference fields sent as server ids may be longer than the local ids measured
 * here; the envelope's headroom covers that. One `JSON.stringify` per op, no second pass.
 */
export function opBytes(op: OutboxOp): number {
  return OP_ENVELOPE_BYTES + JSON.stringify([op.data, op.patch, op.fieldClocks]).length;
}

/**
 * Marks a chosen batch in flight. Ops that were never sent get their push sequence numbers
 * now, contiguous and in `seq` order, in the same transaction. Ops already in flight (a lost
 * response, a crash) keep theirs and are re-sent with the same `opId`. Writes nothing when no
 * op needs a number (an empty batch, a re-send).
 */
export async function takeBatch(
  tx: StorageTransaction,
  ops: readonly OutboxOp[],
): Promise<OutboxOp[]> {
  if (ops.every((op) => op.pushSeq !== null)) return [...ops];
  let pushSeq = (await tx.getMeta<number>(PUSH_SEQ_META_KEY)) ?? 0;
  const out: OutboxOp[] = [];
  for (const op of ops) {
    if (op.pushSeq !== null) {
      out.push(op);
      continue;
    }
    pushSeq += 1;
    const marked: OutboxOp = { ...op, pushSeq, state: 'inflight' };
    await tx.putOp(marked);
    out.push(marked);
  }
  await tx.setMeta(PUSH_SEQ_META_KEY, pushSeq);
  return out;
}

/**
 * Renumbers every sent-but-unacknowledged op after the server reported `lastSeq` (a gap, or a
 * server restored from a backup), so the next push continues at `lastSeq + 1`.
 */
export async function renumberAfter(tx: StorageTransaction, lastSeq: number): Promise<void> {
  const ops = await tx.listOps({ states: ['queued', 'inflight'] });
  let pushSeq = lastSeq;
  for (const op of ops) {
    if (op.pushSeq === null) continue;
    pushSeq += 1;
    await tx.putOp({ ...op, pushSeq });
  }
  await tx.setMeta(PUSH_SEQ_META_KEY, pushSeq);
}
