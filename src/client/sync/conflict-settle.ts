import type { ClientContext } from '../client-context.js';
import type { ClientInternals } from '../local/client-internals.js';
import { resolveConflict, type ConflictResolution } from '../local/conflicts.js';

/**
 * Resolves a conflict with a local write (which counts its op into `pendingOps` itself; when the
 * server's version is kept, it also marks the record for the next set pull's sweep in the same
 * transaction). Then refreshes the conflict count.
 */
export async function settleConflict(
  ctx: ClientContext,
  internals: ClientInternals,
  collection: string,
  id: string,
  resolution: ConflictResolution,
): Promise<void> {
  await internals.write((w) => resolveConflict(w, collection, id, resolution));
  await ctx.status.refreshCounts({ ops: false });
}
