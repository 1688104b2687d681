/**
 * The outbox: the only code that reads or writes outbox rows. An op moves like this:
 *
 *              append (a local write; coalesced into the record's last never-sent op,
 *                 |     or cancelled with it when a never-sent insert is deleted)
 *                 v
 *   +-------> [queued] --- nextBatch: push seq assigned ---> [inflight]
 *   |             ^                                            |   |   \
 *   |             |       request failed (network, 5xx):       |   |    \  ack (server applied
 *   |             |       stays in flight, re-sent with the    |   |     \ it or answered a
 *   |             |       same opId and push seq; 5xx counts   |   |      \ conflict): row
 *   |             |       a failure (countFailure)             |   |       v deleted
 *   |             |                                            |   |    [acked]
 *   |             +--- renumberAfter (seq_gap): new push seq --+   |
 *   |                                                              |
 *   |     rejected by the server, refused alone, a poison op       v
 *   |     (maxAttempts 5xx), or an answer that fails the schema  [dead]
 *   |                                                              |
 *   +--- retry: new opId, no push seq ------------------------------+
 *                                         discard: row deleted ----> (gone)
 *
 * While an op is queued or in flight, acknowledging an earlier op of the same record rebases it
 * (new base version, the record's server id). Every method works inside the caller's storage
 * transaction (Invariant 1: a record change and its op commit together) and makes exactly the
 * storage calls listed in its comment, so the per-op call counts stay as pinned by the tests.
 */
import type { OpState, OutboxOp, StorageTransaction } from '../core/index.js';
import { TidesyncError, createId } from '../core/index.js';
import { type EnqueueResult, type NewOp, OpCounter, enqueueOp, newOp } from './append.js';
import { type BatchRequest, renumberAfter, selectBatch } from './batch.js';

const PENDING: readonly OpState[] = ['queued', 'inflight'];

/** The outbox over one storage transaction. Cheap to make: one per transaction. */
export class Outbox {
  readonly #tx: StorageTransaction;

  constructor(tx: StorageTransaction) {
    this.#tx = tx;
  }

  /** Appends (or coalesces) one op; see {@link enqueueOp}. */
  append(
    op: NewOp,
    options: { readonly coalesce: boolean; readonly now: number; readonly counter?: OpCounter },
  ): Promise<EnqueueResult> {
    return enqueueOp(this.#tx, op, options);
  }

  /**
   * Appends an op of a record created in this transaction (the `insertMany` path): no earlier
   * op can exist, so no lookup; `counter` must be loaded. One `putOp`.
   */
  async appendNew(op: NewOp, counter: OpCounter, now: number): Promise<void> {
    await this.#tx.putOp(newOp(op, counter.nextLoaded(), now));
  }

  /** A sequence counter for many appends in this transaction. */
  counter(): OpCounter {
    return new OpCounter(this.#tx);
  }

  /** Picks the next batch and marks it in flight; see {@link selectBatch}. */
  nextBatch(request: BatchRequest): Promise<{ batch: OutboxOp[]; resent: boolean }> {
    return selectBatch(this.#tx, request);
  }

  /** Whether any op waits, and whether any is in flight: at most two one-op reads. */
  async peek(): Promise<{ any: boolean; inflight: boolean }> {
    const inflight = (await this.#tx.listOps({ states: ['inflight'], limit: 1 })).length > 0;
    const any = inflight || (await this.#tx.listOps({ states: ['queued'], limit: 1 })).length > 0;
    return { any, inflight };
  }

  /** True when the outbox holds no op in any state (one one-op read). */
  async isEmpty(): Promise<boolean> {
    return (await this.#tx.listOps({ limit: 1 })).length === 0;
  }

  /** Queued and in-flight ops, oldest first. */
  pending(collection?: string): Promise<OutboxOp[]> {
    return this.#tx.listOps(
      collection === undefined ? { states: PENDING } : { collection, states: PENDING },
    );
  }

  /** Dead-lettered ops, oldest first. */
  deadLetters(): Promise<OutboxOp[]> {
    return this.#tx.listOps({ states: ['dead'] });
  }

  /** Every op in any state, of one collection or of all, oldest first. */
  all(collection?: string): Promise<OutboxOp[]> {
    return collection === undefined ? this.#tx.listOps() : this.#tx.listOps({ collection });
  }

  /** Every op of one record in any state, oldest first. */
  ofRecord(collection: string, id: string): Promise<OutboxOp[]> {
    return this.#tx.listOps({ collection, recordId: id });
  }

  /** Ops of one record that still wait for the server (dead letters excluded). */
  async pendingOf(collection: string, id: string): Promise<OutboxOp[]> {
    return (await this.ofRecord(collection, id)).filter((op) => op.state !== 'dead');
  }

  /** Replaces stored ops by new versions of them (same `opId`). One `putOp` each. */
  async replace(ops: readonly OutboxOp[]): Promise<void> {
    for (const op of ops) await this.#tx.putOp(op);
  }

  /** Deletes every op (sign-out wipe). */
  async clear(): Promise<void> {
    for (const op of await this.#tx.listOps()) await this.#tx.deleteOp(op.opId);
  }

  /** The server acknowledged `op` (applied, or answered with a conflict): its row goes. */
  async ack(op: OutboxOp): Promise<void> {
    await this.#tx.deleteOp(op.opId);
  }

  /**
   * Gives a record's other ops its canonical id and the base version `baseVersion` picks,
   * writing only the ops that change. Returns the ops as they now are.
   */
  async rebase(
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
      await this.#tx.putOp(next);
      out.push(next);
    }
    return out;
  }

  /**
   * Moves an op to the dead letters with the server's reason and returns it as stored.
   * `unrecorded` is true when the server never recorded the op (the whole request was refused):
   * its push seq is then free again, so the ops behind it are renumbered to keep the sequence
   * contiguous.
   */
  async deadLetter(
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
    await this.#tx.putOp(dead);
    if (unrecorded && op.pushSeq !== null) await renumberAfter(this.#tx, op.pushSeq - 1);
    return dead;
  }

  /**
   * Counts a server failure (5xx) against every op of `batch`. An op that fails alone for the
   * `maxAttempts`th time is a poison op: it is dead-lettered and returned as stored, so the ops
   * behind it can go (Invariant 5).
   */
  async countFailure(
    batch: readonly OutboxOp[],
    maxAttempts: number,
    reason: string,
  ): Promise<OutboxOp | undefined> {
    for (const op of batch) {
      const current = await this.#tx.getOp(op.opId);
      if (!current) continue;
      const attempts = current.attempts + 1;
      if (batch.length === 1 && attempts >= maxAttempts) {
        const message = `The server failed ${attempts} times on this op (last: ${reason}).`;
        return this.deadLetter(current, 'SERVER_ERROR', message, true);
      }
      await this.#tx.putOp({ ...current, attempts });
    }
    return undefined;
  }

  /** Renumbers the sent ops after the server's `seq_gap` answer; see {@link renumberAfter}. */
  renumberAfter(lastSeq: number): Promise<void> {
    return renumberAfter(this.#tx, lastSeq);
  }

  /**
   * The dead letter with this op id.
   * @throws TidesyncError `RECORD_NOT_FOUND` when no dead letter has it
   */
  async requireDead(opId: string): Promise<OutboxOp> {
    const op = await this.#tx.getOp(opId);
    if (!op || op.state !== 'dead') {
      throw new TidesyncError(
        'RECORD_NOT_FOUND',
        `No dead letter with op id \`${opId}\`. List them with \`client.deadLetters()\`.`,
      );
    }
    return op;
  }

  /**
   * Queues a dead-lettered op again under a new op id (the server remembers the old one as
   * rejected), at its old place in the outbox order.
   */
  async retry(opId: string): Promise<void> {
    const op = await this.requireDead(opId);
    await this.#tx.deleteOp(op.opId);
    await this.#tx.putOp({
      ...op,
      opId: createId(),
      pushSeq: null,
      state: 'queued',
      attempts: 0,
      error: null,
    });
  }

  /** Drops a dead letter; returns it. */
  async discard(opId: string): Promise<OutboxOp> {
    const op = await this.requireDead(opId);
    await this.#tx.deleteOp(opId);
    return op;
  }
}
