import type { PullResponse, WireRecord } from '../core/index.js';
import { PROTOCOL_VERSION } from '../core/index.js';
import { clockOf } from './push-handler.js';
import { encodeCursor } from './pull-cursor.js';
import type { PullPage } from './pull-page.js';
import type { ServerContext } from './server-context.js';
import { newerRecordRefusal, storedVersionOf } from './stored-version.js';

/** Where a pull page ended, and what the answer says beside its changes. */
export interface PullPageEnd {
  /** Feed (or set-index) position of the last entry read; the next page starts after it. */
  readonly position: number;
  /** Fingerprint of the last record read, sealed in the cursor (0 when unused). */
  readonly fingerprint: number;
  readonly hasMore: boolean;
  readonly reset: boolean;
  /** Entries left after the cursor, when the request asked for the count. */
  readonly remaining: number | undefined;
}

/**
 * The answer to a feed or set pull: the page's changes, skips, removals and its cursor. Each
 * change is tagged with the schema version its stored data is at (`schemaVersion`).
 * @throws RequestRefusedError 409 `server_too_old` for a record of a newer deploy.
 */
export function pullAnswer(
  ctx: ServerContext,
  epoch: string,
  page: PullPage,
  end: PullPageEnd,
): PullResponse {
  return {
    protocol: PROTOCOL_VERSION,
    changes: tagVersions(ctx, page.changes),
    ...(page.skipped.length > 0 ? { skipped: page.skipped } : {}),
    ...(page.removed.length > 0 ? { removed: page.removed } : {}),
    cursor: encodeCursor(epoch, ctx.cursorSecret, end.position, end.fingerprint),
    hasMore: end.hasMore,
    reset: end.reset,
    ...(end.remaining === undefined ? {} : { remaining: end.remaining }),
    ...clockOf(ctx),
  };
}

/**
 * Tags each of `changes` with the schema version its data is at, in place: the page's records
 * were built for this answer alone (by `toWireRecord`), so no copy of each is needed.
 */
function tagVersions(ctx: ServerContext, changes: WireRecord[]): WireRecord[] {
  for (const record of changes) {
    const collection = ctx.collections.get(record.collection);
    if (!collection) continue;
    const schemaVersion = storedVersionOf(collection, record.data);
    if (schemaVersion === undefined) throw newerRecordRefusal(collection, record.id);
    (record as { schemaVersion?: number }).schemaVersion = schemaVersion;
  }
  return changes;
}
