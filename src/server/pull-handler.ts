import type {
  GetRequest,
  GetResponse,
  PullRequest,
  PullResponse,
  SyncUser,
  WireRecord,
} from '../core/index.js';
import { PROTOCOL_VERSION } from '../core/index.js';
import { forbiddenClient } from './push-handler.js';
import { RequestRefusedError } from './replies.js';
import { pullAnswer } from './pull-answer.js';
import { settleClocks } from './op-data.js';
import { offerVisible } from './pull-offer.js';
import { PullPage } from './pull-page.js';
import { decodeCursor, fingerprintOf, isCursorValid, isLegacyCursor } from './pull-cursor.js';
import type { ServerContext } from './server-context.js';
import { isInScope, toWireRecord } from './server-context.js';
import { readSetPage } from './sets/set-pull-handler.js';
import type { ChangeFilter, FeedEntry, ServerRecord, ServerStoreReader } from './server-store.js';

type EchoSkip = NonNullable<ChangeFilter['skipWriter']>;

/** Binds `clientId` to the user on first use; refuses it when bound to another user. */
export async function bindClient(
  ctx: ServerContext,
  user: SyncUser,
  clientId: string,
): Promise<void> {
  let client = await ctx.store.read((reader) => reader.getClient(clientId));
  client ??= await ctx.store.transaction((tx) => tx.lockClient(clientId, user.userId));
  if (client.userId !== user.userId) throw forbiddenClient(clientId);
}

/**
 * Handles a validated pull: the changes after the cursor that the user may see, one entry per
 * record (its latest state), in feed order. A cursor from another epoch, beyond the head, or not
 * decodable starts over with `reset: true`.
 */
export async function handlePull(
  ctx: ServerContext,
  user: SyncUser,
  request: PullRequest,
): Promise<PullResponse> {
  // The client check shares the page's read; only a client's first request binds it first.
  const answer = await ctx.store.read(async (reader) => {
    const client = await reader.getClient(request.clientId);
    if (!client) return undefined;
    if (client.userId !== user.userId) throw forbiddenClient(request.clientId);
    return readPage(ctx, user, request, reader);
  });
  if (answer) return answer;
  await bindClient(ctx, user, request.clientId);
  return ctx.store.read((reader) => readPage(ctx, user, request, reader));
}

async function readPage(
  ctx: ServerContext,
  user: SyncUser,
  request: PullRequest,
  reader: ServerStoreReader,
): Promise<PullResponse> {
  if (request.set) return readSetPage(ctx, user, { ...request, set: request.set }, reader);
  const limit = Math.min(request.limit, ctx.maxPullLimit);
  // Bound the rows scanned per request, so a user who may see few records cannot make one pull
  // read the whole feed; the cursor moves past the skipped rows and `hasMore` stays true.
  const maxScanned = Math.max(limit * 10, 1000);
  const epoch = await reader.getEpoch();
  const head = await reader.getHead();
  let position = 0;
  let fingerprint = 0;
  let reset = false;
  if (request.cursor !== null) {
    const cursor = decodeCursor(request.cursor, epoch, ctx.cursorSecret);
    if (cursor && (await isCursorValid(reader, cursor, head))) {
      position = cursor.position;
      fingerprint = cursor.fingerprint;
    } else if (!cursor && isLegacyCursor(request.cursor, epoch)) {
      // An earlier release's cursor for this store: start over, without a re-base.
    } else {
      reset = true;
    }
  }
  // The client's own echoes it has applied from push answers are left out, never on a re-base
  // (the device dropped its synced records and needs every state again).
  const skip = reset ? undefined : echoesOf(request);
  // The store leaves them out of its ranges itself when it can say where those end.
  const storeSkips = skip !== undefined && typeof reader.lastChange === 'function';
  // Only the user's own records and those of collections a scope function guards, in the
  // collections the feed serves: index ranges, so other users' writes and the rows of
  // `sync: 'sets'` collections cost this pull nothing. Visibility is still checked per entry.
  const filter: ChangeFilter = {
    ownerId: user.userId,
    ...feedCollections(ctx),
    ...(storeSkips ? { skipWriter: skip } : {}),
  };
  // A pull run's first page asks for the total, for a progress bar (an upper bound: it may
  // count records the user turns out not to see).
  const remaining =
    request.countRemaining && typeof reader.countChanges === 'function'
      ? await reader.countChanges(position, filter)
      : undefined;
  const page = new PullPage(limit, ctx.maxPullPageBytes, request.maxBytes);
  let scanned = 0;
  let hasMore = false;
  // The last entry read: only its fingerprint goes into the cursor.
  let last: FeedEntry | undefined;
  scan: for (;;) {
    const rows = await reader.listChanges(position, limit + 1, filter);
    const batch = rows.slice(0, limit);
    for (const [index, entry] of batch.entries()) {
      if (!offerEntry(ctx, user, request, page, entry, skip)) {
        // No room left in bytes: this entry starts the next page.
        hasMore = true;
        break scan;
      }
      position = entry.position;
      last = entry;
      scanned += 1;
      if (page.full || scanned >= maxScanned) {
        hasMore = index < batch.length - 1 || rows.length > limit;
        break scan;
      }
    }
    if (rows.length <= limit) break;
  }
  if (!hasMore && storeSkips) {
    // Read to the end of the ranges: echoes the store left out after the last entry are passed
    // too, so the next pull does not look at them again.
    const tail = await reader.lastChange!(position, filter);
    if (tail && tail.position > position) {
      position = tail.position;
      last = tail;
    }
  }
  if (last) fingerprint = fingerprintOf(last.record);
  return pullAnswer(ctx, epoch, page, { position, fingerprint, hasMore, reset, remaining });
}

/** The echoes a pull may leave out: this client's writes up to its `appliedSeq`. */
function echoesOf(request: PullRequest): EchoSkip | undefined {
  if (request.appliedSeq === undefined) return undefined;
  return { clientId: request.clientId, seq: request.appliedSeq };
}

/** Whether `record`'s state was written by the client of `skip` at a push seq it applied. */
function isEcho(record: ServerRecord, skip: EchoSkip): boolean {
  return (
    record.writerClientId === skip.clientId &&
    typeof record.writerSeq === 'number' &&
    record.writerSeq <= skip.seq
  );
}

/** Handles a validated get: the requested records the user may see (tombstones included). */
export async function handleGet(
  ctx: ServerContext,
  user: SyncUser,
  request: GetRequest,
): Promise<GetResponse> {
  const collection = ctx.collections.get(request.collection);
  if (!collection) {
    throw new RequestRefusedError(
      400,
      'bad_request',
      `collection: \`${request.collection}\` is not registered on the server.`,
    );
  }
  await bindClient(ctx, user, request.clientId);
  const ids = [...new Set(request.ids)];
  const records = await ctx.store.read(async (reader) => {
    const found: WireRecord[] = [];
    for (const id of ids) {
      const record = await reader.getRecord(collection.name, id);
      if (record && isInScope(collection, record, user))
        found.push(toWireRecord(settleClocks(record, ctx), request.clientId));
    }
    return found;
  });
  return { protocol: PROTOCOL_VERSION, records };
}

const feeds = new WeakMap<ServerContext, Omit<ChangeFilter, 'ownerId'>>();

/**
 * The collections a feed pull reads (issue 19), for its filter: `collections`, those whose
 * visibility a scope function decides (read whole), and `ownerCollections`, every collection
 * the feed serves (read for the user's own records). `sync: 'sets'` collections are in neither:
 * their records reach devices only through set pulls, so the stores never scan their rows.
 *
 * Why a list of collections rather than a sync-mode column written with each record: the list
 * follows the server's configuration at pull time, so turning a collection's `sync` from
 * `'all'` to `'sets'` (or back) needs no rewrite of stored rows and cannot leave a stale column
 * behind; the cost is one index range per collection, merged by position (docs/server.md).
 */
function feedCollections(ctx: ServerContext): Omit<ChangeFilter, 'ownerId'> {
  let found = feeds.get(ctx);
  if (!found) {
    const served = [...ctx.collections.values()].filter((c) => c.sync !== 'sets');
    found = {
      collections: served.filter((c) => c.scope).map((c) => c.name),
      ownerCollections: served.map((c) => c.name),
    };
    feeds.set(ctx, found);
  }
  return found;
}

/**
 * Puts a feed entry into the page as the user may see it: the record when it is in their scope;
 * a removal when it is not but one of its former states was (it left their scope, so their
 * devices drop it); else nothing. `false` when the page has no room left for it.
 */
function offerEntry(
  ctx: ServerContext,
  user: SyncUser,
  request: PullRequest,
  page: PullPage,
  entry: FeedEntry,
  skip: EchoSkip | undefined,
): boolean {
  const record = entry.record;
  const collection = ctx.collections.get(record.collection);
  // A `sync: 'sets'` collection reaches devices only through set pulls (docs/sync-sets.md).
  if (!collection || collection.sync === 'sets') return true;
  // The client's own echo it already holds, as a change only: a removal still goes.
  if (skip && isEcho(record, skip) && isInScope(collection, record, user)) return true;
  return offerVisible(ctx, collection, user, request.clientId, page, record, entry.jsonBytes);
}
