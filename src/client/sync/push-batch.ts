import type { OutboxOp, WireOp } from '../../core/index.js';
import type { BatchRequest } from '../../outbox/index.js';
import type { ClientContext } from '../client-context.js';
import {
  type ReferenceLookup,
  referencesUnconfirmedInsert,
  resolveReferences,
} from '../local/id-mapping.js';

/**
 * The next batch request for the outbox: the client's collection priorities, and a check that
 * holds back an op referencing a record whose insert is not confirmed yet.
 */
export function batchRequest(
  ctx: ClientContext,
  refs: ReferenceLookup,
  limit: number,
  inflightPossible: boolean,
): BatchRequest {
  const priorities = new Map<string, number>();
  for (const c of ctx.opts.collections.values()) priorities.set(c.name, c.priority);
  return {
    limit,
    maxBytes: ctx.opts.batchBytes,
    inflightPossible,
    priorities,
    blocked: async (op) => {
      const collection = ctx.opts.collections.get(op.collection);
      return (
        collection !== undefined &&
        op.data !== null &&
        (await referencesUnconfirmedInsert(refs, collection, op.data, op.id))
      );
    },
  };
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
  ctx: ClientContext,
  refs: ReferenceLookup,
  batch: readonly OutboxOp[],
): Promise<WireOp[]> {
  const out: WireOp[] = [];
  for (const op of batch) {
    const collection = ctx.opts.collections.get(op.collection);
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
