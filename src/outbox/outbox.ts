/**
 * The outbox: the only code that reads or writes outbox rows. An op moves like this:
 *
 *              append (a local write; coalesced into the record's last never-sent op,
 *                 |     or cancelled with it when a never-sent insert is deleted)
 *                 v
 *   +-------> [queued] --- nextBatch: push seq assigned ---> [inflight]
 *   |             ^                                            |   |   \
 *   |             |       request failed (network, 5xx):       |   |    \  settle: ack (applied
 *   |             |       stays in flight, re-sent with the    |   |     \ it or answered a
 *   |             |       same opId and push seq; 5xx counts   |   |      \ conflict): row
 *   |             |       a failure (settle: failed)           |   |       v deleted
 *   |             |                                            |   |    [acked]
 *   |             +--- settle: seqGap (seq_gap), new push seq -+   |
 *   |                                                              |
 *   |     rejected by the server, refused alone, a poison op       v
 *   |     (maxAttempts 5xx), or an answer that fails the schema  [dead]
 *   |                                                              |
 *   +--- retry: new opId, no push seq ------------------------------+
 *                                         discard: row deleted ----> (gone)
 *
 * While an op is queued or in flight, acknowledging an earlier op of the same record rebases it
 * (new base version, the record's server id). A push answer changes rows in one call,
 * {@link Outbox.settle}, with the outcome the client decided for each op. Every method works
 * inside the caller's storage transaction (Invariant 1: a record change and its op commit
 * together) and makes exactly the storage calls listed in its comment, so the per-op call
 * counts stay as pinned by the tests.
 */
import type { OpState, OutboxOp, StorageTransaction } from '../core/index.js';
import { TidesyncError, createId } from '../core/index.js';
import { type EnqueueResult, type NewOp, OpCounter, enqueueOp, newOp } from './append.js';
import { type BatchRequest, selectBatch } from './batch.js';
import { type OpOutcome, type SettledOp, deadLetterOp, rebaseOps, settleBatch } from './settle.js';

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

  /**
   * Settles a sent batch from the server's answer: `outcomes[i]` (decided by the client) is
   * applied to `batch[i]`, in order, in this transaction: acknowledged ops go and rebase their
   * record's other ops, dead letters are stored, failures counted, push seqs renumbered after a
   * `seq_gap`. Returns what happened to each op; see {@link settleBatch} for the storage calls.
   */
  settle(batch: readonly OutboxOp[], outcomes: readonly OpOutcome[]): Promise<SettledOp[]> {
    return settleBatch(this.#tx, batch, outcomes);
  }

  /**
   * Gives a record's ops (`ofRecord`) its canonical id, writing only the ops that change (an id
   * assigned outside a push answer: a pulled echo of this device's own insert). Returns the ops
   * as they now are.
   */
  rebase(ops: readonly OutboxOp[], serverId: string): Promise<OutboxOp[]> {
    return rebaseOps(this.#tx, ops, serverId);
  }

  /**
   * Moves an unsent op to the dead letters with a reason found outside a push answer (its
   * record left the user's scope) and returns it as stored.
   */
  deadLetter(op: OutboxOp, code: string, message: string): Promise<OutboxOp> {
    return deadLetterOp(this.#tx, op, code, message, false);
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
