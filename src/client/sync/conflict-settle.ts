import type { ClientContext } from '../client-context.js';
import type { ClientInternals } from '../local/client-internals.js';
import { resolveConflict, type ConflictResolution } from '../local/conflicts.js';
import { noteSetAck } from './sync-set-records.js';

/**
 * Resolves a conflict with a local write (which counts its op into `pendingOps` itself); when
 * the server's version is kept (no op, so no ack), marks the record for the next set pull,
 * which drops it when it is outside every set. Then refreshes the conflict count.
 */
export async function settleConflict(
  ctx: ClientContext,
  internals: ClientInternals,
  collection: string,
  id: string,
  resolution: ConflictResolution,
): Promise<void> {
  await internals.write((w) => resolveConflict(w, collection, id, resolution));
  if ((resolution as { keep?: string }).keep === 'remote') {
    const definition = ctx.opts.collections.get(collection);
    await ctx.opts.storage.transaction('readwrite', (tx) => noteSetAck(tx, definition));
  }
  await ctx.status.refreshCounts(false);
}
