// A set pull: the changes of one sync set after its own cursor, answered from the set index
// (docs/sync-sets.md). Each record comes in its current state; the device decides from all its
// sets whether it keeps it (records that left the set come too, so the device can drop them).
import type {
  CollectionDefinition,
  PullRequest,
  PullResponse,
  SyncUser as SyncSpecUser,
} from '../../core/index.js';
import { conditionValues, setValueKey, type SyncSetSpec } from '../../core/index.js';
import { decodeCursor, isCursorValid } from '../pull-cursor.js';
import { pullAnswer } from '../pull-answer.js';
import { offerVisible } from '../pull-offer.js';
import { PullPage } from '../pull-page.js';
import { RequestRefusedError } from '../replies.js';
import type { ServerContext } from '../server-context.js';
import type { ServerStoreReader } from '../server-store.js';
import type { SetIndexQuery } from './set-index.js';
import { setPartitionOf } from './set-index.js';
import { noSetIndex } from './set-index-write.js';

/** Reads one page of the set `request.set` in `reader`'s snapshot. */
export async function readSetPage(
  ctx: ServerContext,
  user: SyncSpecUser,
  request: PullRequest & { set: SyncSetSpec },
  reader: ServerStoreReader,
): Promise<PullResponse> {
  const collection = checkSetSpec(ctx, request.set);
  if (typeof reader.listSetChanges !== 'function' || typeof reader.countSetChanges !== 'function') {
    throw noSetIndex(collection.name);
  }
  const limit = Math.min(request.limit, ctx.maxPullLimit);
  const maxScanned = Math.max(limit * 10, 1000);
  const epoch = await reader.getEpoch();
  const head = await reader.getHead();
  let position = 0;
  let reset = false;
  if (request.cursor !== null) {
    const cursor = decodeCursor(request.cursor, epoch, ctx.cursorSecret);
    if (cursor && (await isCursorValid(reader, { ...cursor, fingerprint: 0 }, head))) {
      position = cursor.position;
    } else {
      reset = true;
    }
  }
  const query = indexQueryOf(collection, request.set, user, position);
  const remaining = request.countRemaining ? await reader.countSetChanges(query) : undefined;
  const page = new PullPage(limit, ctx.maxPullPageBytes, request.maxBytes);
  const seen = new Set<string>();
  await offerHeld(ctx, collection, user, request, reader, page, seen);
  let scanned = 0;
  let hasMore = false;
  scan: for (;;) {
    const rows = await reader.listSetChanges({ ...query, after: position }, limit + 1);
    const batch = rows.slice(0, limit);
    for (const [index, entry] of batch.entries()) {
      if (!seen.has(entry.record.id)) {
        if (!offerVisible(ctx, collection, user, request.clientId, page, entry.record)) {
          hasMore = true;
          break scan;
        }
        seen.add(entry.record.id);
      }
      position = entry.position;
      scanned += 1;
      if (page.full || scanned >= maxScanned) {
        hasMore = index < batch.length - 1 || rows.length > limit;
        break scan;
      }
    }
    if (rows.length <= limit) break;
  }
  return pullAnswer(ctx, epoch, page, { position, fingerprint: 0, hasMore, reset, remaining });
}

/**
 * The current state of each record the device listed in `held` (unsynced on the device, its
 * server copy outside every set of the device, so no set range finds it), as the user may see
 * it. What does not fit waits for the device's next set pull.
 */
async function offerHeld(
  ctx: ServerContext,
  collection: CollectionDefinition,
  user: SyncSpecUser,
  request: PullRequest,
  reader: ServerStoreReader,
  page: PullPage,
  seen: Set<string>,
): Promise<void> {
  for (const id of request.held ?? []) {
    if (seen.has(id)) continue;
    const record = await reader.getRecord(collection.name, id);
    if (!record) continue;
    if (!offerVisible(ctx, collection, user, request.clientId, page, record)) return;
    seen.add(id);
  }
}

/**
 * The collection of a set request, after checking the set against it: a `sync: 'sets'`
 * collection, only indexed fields, at most `maxSetValues` values per field.
 * @throws RequestRefusedError 400 `bad_request` otherwise.
 */
export function checkSetSpec(ctx: ServerContext, spec: SyncSetSpec): CollectionDefinition {
  const collection = ctx.collections.get(spec.collection);
  if (!collection || collection.sync !== 'sets') {
    throw new RequestRefusedError(
      400,
      'bad_request',
      `set.collection: \`${spec.collection}\` is not a collection with \`sync: 'sets'\` on the server.`,
    );
  }
  for (const [field, condition] of Object.entries(spec.where)) {
    if (!collection.indexes.includes(field)) {
      throw new RequestRefusedError(
        400,
        'bad_request',
        `set.where.${field}: \`${field}\` is not an index of \`${collection.name}\` (indexes: ${collection.indexes.join(', ')}). Add it to \`indexes\` or filter on an indexed field.`,
      );
    }
    const count = conditionValues(condition).length;
    if (count > ctx.maxSetValues) {
      throw new RequestRefusedError(
        400,
        'bad_request',
        `set.where.${field}: ${count} values in \`in\`; the server's limit (maxSetValues) is ${ctx.maxSetValues}. Split the set.`,
      );
    }
  }
  return collection;
}

/** The index range of a set after `after`: driven by its field with the fewest values. */
export function indexQueryOf(
  collection: CollectionDefinition,
  spec: SyncSetSpec,
  user: SyncSpecUser,
  after: number,
): SetIndexQuery {
  let field = '';
  let values: string[] = [];
  for (const [name, condition] of Object.entries(spec.where)) {
    const keys = [...new Set(conditionValues(condition).map((v) => setValueKey(v)!))];
    if (field === '' || keys.length < values.length) {
      field = name;
      values = keys;
    }
  }
  return {
    collection: collection.name,
    partition: setPartitionOf(collection, { ownerId: user.userId }),
    field,
    values,
    after,
  };
}
