import type { CollectionDefinition, SyncUser } from '../core/index.js';
import type { ServerRecord } from './feed-types.js';
import { settleClocks } from './op-data.js';
import type { PullPage } from './pull-page.js';
import type { ServerContext } from './server-context.js';
import { isInScope, toWireRecord } from './server-context.js';

/**
 * Puts a record into a pull page as `user` may see it: the record when it is in their scope; a
 * removal when it is not but one of its former states was (it left their scope, so their
 * devices drop it); else nothing. `jsonBytes` is the stored JSON size when the store had it
 * (the page then skips measuring). `false` when the page has no room left for it.
 */
export function offerVisible(
  ctx: ServerContext,
  collection: CollectionDefinition,
  user: SyncUser,
  clientId: string,
  page: PullPage,
  record: ServerRecord,
  jsonBytes?: number,
): boolean {
  if (isInScope(collection, record, user)) {
    // Settled clocks keep their length; a tombstone goes without its stored data.
    const stored = record.deleted ? undefined : jsonBytes;
    return page.offer(toWireRecord(settleClocks(record, ctx), clientId), stored);
  }
  const before = record.formerData ?? [];
  if (!before.some((data) => isInScope(collection, { data, ownerId: record.ownerId }, user))) {
    return true;
  }
  return page.offerRemoval({
    collection: record.collection,
    id: record.id,
    version: record.version,
  });
}
