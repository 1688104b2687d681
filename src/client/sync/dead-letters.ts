import type { WireRecord } from '../../core/index.js';
import { Outbox } from '../../outbox/index.js';
import type { ClientContext } from '../client-context.js';
import type { ServerApi } from './server-api.js';
import { overlayPending } from './pending-overlay.js';
import { noteSetAck } from './sync-set-records.js';

/**
 * Queues a dead-lettered op again under a new op id (see {@link Outbox.retry}), counts it as
 * pending, and asks `runs` for a sync run when the client syncs automatically.
 */
export async function retryDeadLetter(
  ctx: ClientContext,
  opId: string,
  runs: { request(): void },
): Promise<void> {
  await ctx.opts.storage.transaction('readwrite', (tx) => new Outbox(tx).retry(opId));
  // The dead letter (not counted) is queued again: exactly one more pending op.
  ctx.status.addPending(1);
  if (ctx.opts.triggers.length > 0) runs.request();
}

/**
 * Drops a dead-lettered op and returns the record to the server's version: a record the server
 * never had is removed; otherwise the server's current version is fetched (this needs the
 * network; when it fails, nothing changes and the error is thrown). Then tells live queries,
 * marks the record for the next set pull and refreshes the conflict count.
 */
export async function discardDeadLetter(
  ctx: ClientContext,
  server: ServerApi,
  opId: string,
): Promise<void> {
  const op = await ctx.opts.storage.transaction('readonly', (tx) =>
    new Outbox(tx).requireDead(opId),
  );
  const record = await ctx.opts.storage.transaction('readonly', (tx) =>
    tx.getRecord(op.collection, op.id),
  );
  const serverId = record?.serverId ?? null;
  let remote: WireRecord | undefined;
  if (serverId !== null) remote = await fetchOne(ctx, server, op.collection, serverId);
  const definition = ctx.opts.collections.get(op.collection);
  await ctx.opts.storage.transaction('readwrite', async (tx) => {
    await new Outbox(tx).discard(opId);
    // Restored to the server's version (no ack): outside every set, the next set pull drops it.
    await noteSetAck(tx, definition);
    const current = await tx.getRecord(op.collection, op.id);
    if (!current) return;
    const pending = await new Outbox(tx).pendingOf(op.collection, op.id);
    if (serverId === null) {
      if (pending.length === 0) await tx.deleteRecord(op.collection, op.id);
      return;
    }
    if (!remote) {
      if (pending.length === 0) await tx.deleteRecord(op.collection, op.id);
      return;
    }
    await tx.putRecord(overlayPending(current, remote, pending, current.id, ctx.opts.now()));
  });
  ctx.notify([op.collection], 'local');
  // Dead letters are not pending ops: only the conflicts may have changed.
  await ctx.status.refreshCounts({ ops: false });
}

async function fetchOne(
  ctx: ClientContext,
  server: ServerApi,
  collection: string,
  serverId: string,
): Promise<WireRecord | undefined> {
  const answer = await server.get(collection, [serverId], ctx.abort.signal);
  if (!answer.ok) throw server.refusalError('get', answer.refusal);
  const record = answer.reply.records.find((r) => r.id === serverId && r.collection === collection);
  return record && !record.deleted ? record : undefined;
}
