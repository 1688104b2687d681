import type { StorageTransaction, WireRecord } from '../../core/index.js';
import { Outbox } from '../../outbox/index.js';
import type { ClientContext } from '../client-context.js';
import type { ServerApi } from './server-api.js';
import { overlayPending } from './pending-overlay.js';

/** Queues a dead-lettered op again under a new op id; see {@link Outbox.retry}. */
export async function retryDeadLetter(tx: StorageTransaction, opId: string): Promise<void> {
  await new Outbox(tx).retry(opId);
}

/**
 * Drops a dead-lettered op and returns the record to the server's version: a record the server
 * never had is removed; otherwise the server's current version is fetched (this needs the
 * network; when it fails, nothing changes and the error is thrown).
 */
export async function discardDeadLetter(
  ctx: ClientContext,
  server: ServerApi,
  opId: string,
): Promise<string | undefined> {
  const op = await ctx.opts.storage.transaction('readonly', (tx) =>
    new Outbox(tx).requireDead(opId),
  );
  const record = await ctx.opts.storage.transaction('readonly', (tx) =>
    tx.getRecord(op.collection, op.id),
  );
  const serverId = record?.serverId ?? null;
  let remote: WireRecord | undefined;
  if (serverId !== null) remote = await fetchOne(ctx, server, op.collection, serverId);
  await ctx.opts.storage.transaction('readwrite', async (tx) => {
    await new Outbox(tx).discard(opId);
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
  return op.collection;
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
