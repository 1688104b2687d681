import type {
  CollectionDefinition,
  OpResult,
  RecordData,
  SyncUser,
  WireOp,
} from '../core/index.js';
import { lastWriteWins } from '../conflict/index.js';
import type { ServerRecord } from './feed-types.js';
import { describeIssues } from './replies.js';
import { isInScope, toWireRecord } from './server-context.js';
import { schemasOf } from './op-plan.js';
import { forbidden, reject } from './op-rejections.js';

/** A write concurrent with a stored record, as {@link resolveConcurrent} reads it. */
export interface ConcurrentWrite {
  readonly op: WireOp;
  readonly collection: CollectionDefinition;
  readonly user: SyncUser;
  readonly clientId: string;
  /** The stored record the op did not see (its clocks settled). */
  readonly current: ServerRecord;
  /** The client's view of the record after its change; `null` for a delete. */
  readonly local: RecordData | null;
  readonly changedFields: readonly string[];
  /** Server wall-clock ms for the merged record's `updatedAt`, read only when it is made. */
  readonly now: () => number;
}

/**
 * What a concurrent write comes to under the collection's strategy: an answer to send as is
 * (`conflict` for the client to settle, a rejection) or the merged record to store.
 */
export type ConcurrentOutcome =
  | { readonly answer: OpResult; readonly merged?: undefined }
  | { readonly merged: ServerRecord; readonly answer?: undefined };

/** Resolves a write concurrent with `current`: the collection's strategy decides, or the client. */
export function resolveConcurrent(write: ConcurrentWrite): ConcurrentOutcome {
  const { op, collection, current, user } = write;
  const strategy = collection.conflict ?? lastWriteWins();
  const conflict: OpResult = {
    opId: op.opId,
    status: 'conflict',
    serverId: current.id,
    record: toWireRecord(current, write.clientId, collection.version),
  };
  if (!strategy.deterministic) return { answer: conflict };
  const outcome = strategy.resolve({
    collection: collection.name,
    id: current.id,
    local: {
      data: write.local,
      hlc: op.hlc,
      fieldClocks: op.fieldClocks,
      changedFields: write.changedFields,
    },
    remote: {
      data: current.deleted ? null : current.data,
      hlc: current.hlc,
      fieldClocks: current.fieldClocks,
    },
  });
  if (outcome.kind === 'manual') return { answer: conflict };
  let data = current.data;
  if (outcome.data !== null) {
    const parsed = schemasOf(collection).strict.safeParse(outcome.data);
    if (!parsed.success) {
      return { answer: reject(op, 'validation_failed', describeIssues(parsed.error, 'data')) };
    }
    data = parsed.data as RecordData;
    if (!isInScope(collection, { data, ownerId: current.ownerId }, user)) {
      return { answer: forbidden(op, collection) };
    }
  }
  return {
    merged: {
      ...current,
      version: current.version + 1,
      data,
      deleted: outcome.data === null,
      hlc: outcome.hlc,
      fieldClocks: { ...outcome.fieldClocks },
      updatedAt: write.now(),
    },
  };
}
