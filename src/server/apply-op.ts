import {
  createId,
  maxHlc,
  type CollectionDefinition,
  type OpResult,
  type RecordData,
  type SyncUser,
  type WireOp,
} from '../core/index.js';
import { mergeFieldClocks } from '../conflict/index.js';
import { describeIssues } from './replies.js';
import type { ServerContext } from './server-context.js';
import { isInScope, toStoredRecord, toWireRecord } from './server-context.js';
import type { ServerRecord, ServerStoreTransaction } from './server-store.js';
import { schemasOf } from './op-plan.js';
import { resolveConcurrent } from './op-conflict.js';
import { utf8Length } from './pull-page.js';
import { measureRecordJson } from './record-json.js';
import type { Rejection } from './op-rejections.js';
import { forbidden, notFound, reject, tooLarge } from './op-rejections.js';
import { pick, serverClocksOf, settleClocks, withFormerData, withOwnId } from './op-data.js';
import { writeSetKeys } from './sets/set-index-write.js';

/** Who applies an op, and where: the push's server context, transaction, user and client. */
export interface OpCaller {
  readonly ctx: ServerContext;
  readonly tx: ServerStoreTransaction;
  readonly user: SyncUser;
  readonly clientId: string;
}

/**
 * Applies one new op inside the push transaction and returns its outcome. Only writes through
 * `tx`; never throws for bad input (that is a `rejected` outcome).
 */
export async function applyOp(caller: OpCaller, rawOp: WireOp): Promise<OpResult> {
  const { ctx } = caller;
  const collection = ctx.collections.get(rawOp.collection);
  if (!collection) {
    return reject(
      rawOp,
      'unknown_collection',
      `Collection \`${rawOp.collection}\` is not registered on the server.`,
    );
  }
  const op = { ...rawOp, ...serverClocksOf(collection, rawOp, ctx) };
  const apply = new OpApplier({ ...caller, collection, op });
  switch (op.type) {
    case 'insert':
      return apply.insert();
    case 'update':
      return apply.update();
    case 'delete':
      return apply.delete();
  }
}

/** What one op is applied with: its caller, its collection and the op with the server's clocks. */
interface OpScope extends OpCaller {
  readonly collection: CollectionDefinition;
  readonly op: WireOp;
}

class OpApplier {
  readonly #at: OpScope;
  /** The stored record this op read (and may replace), if any. */
  #current: ServerRecord | undefined;

  constructor(at: OpScope) {
    this.#at = at;
  }

  async insert(): Promise<OpResult> {
    const op = this.#at.op;
    const collection = this.#at.collection;
    if (!op.data) return reject(op, 'validation_failed', 'data: an insert needs `data`.');
    const parsed = schemasOf(collection).strict.safeParse(op.data);
    if (!parsed.success) {
      return reject(op, 'validation_failed', describeIssues(parsed.error, 'data'));
    }
    let data = parsed.data as RecordData;
    let current: ServerRecord | undefined;
    let id: string;
    if (this.#at.ctx.assignId === 'server') {
      // The same local record inserted again (a re-sent insert under a new opId) maps to the
      // id minted the first time.
      current = await this.#at.tx.getRecordByOrigin(collection.name, this.#at.clientId, op.id);
      id = current?.id ?? createId();
      if (current) current = this.#seen(current);
      data = withOwnId(collection, data, op.id, id);
    } else {
      id = op.serverId ?? op.id;
      current = await this.#at.tx.getRecord(collection.name, id);
      if (current) current = this.#seen(current);
    }
    if (current) {
      if (!isInScope(collection, current, this.#at.user)) return this.forbidden();
      return this.concurrent(current, data, Object.keys(data));
    }
    const ownerId = this.#at.user.userId;
    if (!isInScope(collection, { data, ownerId }, this.#at.user)) return this.forbidden();
    return this.store(
      {
        collection: collection.name,
        id,
        ownerId,
        version: 1,
        data,
        hlc: op.hlc,
        fieldClocks: { ...op.fieldClocks },
        deleted: false,
        updatedAt: this.#now(),
        originClientId: this.#at.clientId,
        originId: op.id,
      },
      false,
    );
  }

  async update(): Promise<OpResult> {
    const op = this.#at.op;
    const collection = this.#at.collection;
    const patch = op.patch ?? op.data;
    if (!patch) return reject(op, 'validation_failed', 'patch: an update needs `patch`.');
    const parsed = schemasOf(collection).partialStrict.safeParse(patch);
    if (!parsed.success) {
      return reject(op, 'validation_failed', describeIssues(parsed.error, 'patch'));
    }
    const current = await this.#target();
    if (!current) return this.notFound();
    if (!isInScope(collection, current, this.#at.user)) return this.forbidden();
    // Only the fields the client sent: a partial parse may add defaults it never wrote.
    const changed = Object.keys(patch);
    const next: RecordData = { ...current.data };
    for (const field of changed) next[field] = (parsed.data as RecordData)[field];
    if (!isInScope(collection, { data: next, ownerId: current.ownerId }, this.#at.user)) {
      return this.forbidden();
    }
    if (op.baseVersion !== current.version) {
      // The client's whole view of the record after its change: what "the later write wins
      // wholly" keeps under lastWriteWins. Field merge only reads the changed fields.
      const full = op.data ? schemasOf(collection).strict.safeParse(op.data) : undefined;
      if (full && !full.success) {
        return reject(op, 'validation_failed', describeIssues(full.error, 'data'));
      }
      const view = full ? { ...(full.data as RecordData), ...pick(next, changed) } : next;
      return this.concurrent(current, view, changed);
    }
    if (current.deleted) {
      // Based on the tombstone's own version: the device saw the delete and still writes the
      // record (a conflict resolved by keeping its side, or a custom merge that keeps the edit),
      // so the record comes back. That needs the whole record; a patch alone cannot rebuild it.
      const full = op.data ? schemasOf(collection).strict.safeParse(op.data) : undefined;
      if (!full?.success) {
        return reject(
          op,
          'not_found',
          `Record \`${current.id}\` of \`${collection.name}\` was deleted.`,
        );
      }
      const data = { ...(full.data as RecordData), ...pick(next, changed) };
      if (!isInScope(collection, { data, ownerId: current.ownerId }, this.#at.user)) {
        return this.forbidden();
      }
      return this.store(this.#nextVersion(current, { data, deleted: false }), false);
    }
    return this.store(this.#nextVersion(current, { data: next }), false);
  }

  async delete(): Promise<OpResult> {
    const op = this.#at.op;
    const collection = this.#at.collection;
    const current = await this.#target();
    if (!current) return this.notFound();
    if (!isInScope(collection, current, this.#at.user)) return this.forbidden();
    if (current.deleted) {
      // Deleting a tombstone keeps it deleted. A later delete still moves its clock forward:
      // under lastWriteWins an edit clocked between the two deletes must lose to the later one,
      // whichever delete arrived first.
      if (op.hlc <= current.hlc) return this.#applied(current, false);
      return this.store(
        { ...current, version: current.version + 1, hlc: op.hlc, updatedAt: this.#now() },
        false,
      );
    }
    if (op.baseVersion !== current.version) return this.concurrent(current, null, []);
    return this.store(this.#nextVersion(current, { deleted: true }), false);
  }

  /** `current` advanced by this op without a conflict: next version, merged clocks. */
  #nextVersion(current: ServerRecord, changes: Partial<ServerRecord>): ServerRecord {
    return {
      ...current,
      version: current.version + 1,
      hlc: maxHlc(current.hlc, this.#at.op.hlc),
      fieldClocks: mergeFieldClocks(current.fieldClocks, this.#at.op.fieldClocks),
      updatedAt: this.#now(),
      ...changes,
    };
  }

  /** A write concurrent with `current`: the collection's strategy decides, or the client. */
  async concurrent(
    current: ServerRecord,
    local: RecordData | null,
    changedFields: readonly string[],
  ): Promise<OpResult> {
    const outcome = resolveConcurrent({
      op: this.#at.op,
      collection: this.#at.collection,
      user: this.#at.user,
      clientId: this.#at.clientId,
      current,
      local,
      changedFields,
      now: () => this.#now(),
    });
    return outcome.merged ? this.store(outcome.merged, true) : outcome.answer;
  }

  async store(next: ServerRecord, merged: boolean): Promise<OpResult> {
    const stored = toStoredRecord(
      this.#at.collection,
      withFormerData(this.#at.collection, this.#current, next, this.#at.ctx.maxFormerStates),
    );
    // Who wrote this state: its echo is left out of this client's pulls once it applied the
    // answer (pull `appliedSeq`, docs/server.md). Set on every write, so `next` built from
    // `current` never keeps an earlier writer.
    const record: ServerRecord = {
      ...stored,
      writerClientId: this.#at.clientId,
      writerSeq: this.#at.op.seq,
    };
    const json = measureRecordJson(record);
    const bytes = utf8Length(json.data) + utf8Length(json.fieldClocks);
    if (bytes > this.#at.ctx.maxRecordBytes) {
      return tooLarge(this.#at.op, record, bytes, this.#at.ctx.maxRecordBytes);
    }
    await this.#at.tx.putRecord(record);
    await writeSetKeys(this.#at.tx, this.#at.collection, this.#current, record);
    return this.#applied(record, merged);
  }

  forbidden(): Rejection {
    return forbidden(this.#at.op, this.#at.collection);
  }

  notFound(): Rejection {
    return notFound(this.#at.op, this.#at.collection);
  }

  #applied(record: ServerRecord, merged: boolean): OpResult {
    return {
      opId: this.#at.op.opId,
      status: 'applied',
      serverId: record.id,
      version: record.version,
      record: toWireRecord(record, this.#at.clientId, this.#at.collection.version),
      merged,
    };
  }

  /** The record an update or delete targets: its server id, else the origin mapping. */
  async #target(): Promise<ServerRecord | undefined> {
    const op = this.#at.op;
    const collection = this.#at.collection;
    const record =
      op.serverId !== null
        ? await this.#at.tx.getRecord(collection.name, op.serverId)
        : this.#at.ctx.assignId === 'client'
          ? await this.#at.tx.getRecord(collection.name, op.id)
          : await this.#at.tx.getRecordByOrigin(collection.name, this.#at.clientId, op.id);
    return record && this.#seen(record);
  }

  /** Notes the stored record this op replaces (for its former states), with settled clocks. */
  #seen(record: ServerRecord): ServerRecord {
    this.#current = record;
    return settleClocks(record, this.#at.ctx);
  }

  #now(): number {
    return Math.max(0, Math.floor(this.#at.ctx.now()));
  }
}
