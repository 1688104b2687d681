import type { RemovedRecord, StorageTransaction } from '../../core/index.js';
import { Outbox } from '../../outbox/index.js';
import type { ClientContext, EmitEvent } from '../client-context.js';
import { emitDeadLetter } from './push-results.js';

/**
 * Removes from this device the records of a pulled page that left the user's scope (sharing
 * revoked, moved to another team), in the page's transaction. Unsent local edits to such a
 * record become dead letters with code `forbidden` (never dropped silently); an op already sent
 * stays, and the server answers it `forbidden` too; a conflicted record stays until resolved.
 * Returns the collections it changed.
 */
export async function applyRemovals(
  ctx: ClientContext,
  tx: StorageTransaction,
  removed: readonly RemovedRecord[],
  emit: EmitEvent,
): Promise<Set<string>> {
  const changed = new Set<string>();
  for (const removal of removed) {
    if (!ctx.opts.collections.has(removal.collection)) continue;
    const local = await tx.getRecordByServerId(removal.collection, removal.id);
    // A conflicted record holds an unsynced local version the app has not resolved: it stays
    // until resolved (a resolution that keeps it is refused `forbidden`, as a dead letter).
    if (!local || local.syncStatus === 'conflicted') continue;
    const outbox = new Outbox(tx);
    for (const op of await outbox.pendingOf(local.collection, local.id)) {
      if (op.state !== 'queued') continue;
      const message = `Record \`${removal.id}\` of \`${removal.collection}\` is no longer in your scope (sharing revoked or moved), so this change was not sent. It was removed from this device.`;
      emitDeadLetter(emit, await outbox.deadLetter(op, 'forbidden', message));
    }
    await tx.deleteRecord(local.collection, local.id);
    changed.add(local.collection);
  }
  return changed;
}
