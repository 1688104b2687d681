import { z } from 'zod';
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
import type { ServerContext } from './server-context.js';
import { isInScope, toWireRecord } from './server-context.js';
import type { ChangeFilter, ServerRecord, ServerStoreReader } from './server-store.js';

const cursorSchema = z.object({
  e: z.string().min(1).max(128),
  p: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  f: z.string().max(16).optional(),
});

/** A decoded pull cursor. */
export interface PullCursor {
  readonly epoch: string;
  readonly position: number;
  /** Fingerprint of the feed entry at `position` when the cursor was issued. */
  readonly fingerprint?: string | undefined;
}

/**
 * Encodes a pull cursor: base64url JSON of the store epoch, the feed position and a
 * fingerprint of the entry at that position (so a server restored from a backup, whose feed
 * reuses positions for other changes, recognises a cursor from the lost history).
 */
export function encodeCursor(epoch: string, position: number, fingerprint?: string): string {
  const json = JSON.stringify(
    fingerprint === undefined
      ? { e: epoch, p: position }
      : { e: epoch, p: position, f: fingerprint },
  );
  return btoa(json).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** Decodes a pull cursor, or `undefined` for anything that is not one of ours. */
export function decodeCursor(cursor: string): PullCursor | undefined {
  try {
    const json = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
    const parsed = cursorSchema.safeParse(JSON.parse(json));
    return parsed.success
      ? { epoch: parsed.data.e, position: parsed.data.p, fingerprint: parsed.data.f }
      : undefined;
  } catch {
    return undefined;
  }
}

/** FNV-1a of the entry's identity and version: reveals nothing of its data. */
export function fingerprintOf(record: ServerRecord): string {
  let hash = 0x811c9dc5;
  const text = `${record.collection}\u0000${record.id}\u0000${record.version}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

/** Whether a cursor belongs to this store's history. */
async function isCursorValid(
  reader: ServerStoreReader,
  cursor: PullCursor,
  epoch: string,
  head: number,
): Promise<boolean> {
  if (cursor.epoch !== epoch || cursor.position > head) return false;
  if (cursor.fingerprint === undefined || cursor.position === 0) return true;
  // The entry the cursor points at is either still there (same change) or has moved on to a
  // later position (its record changed again). A different change at that position means the
  // feed was rebuilt from an older copy: the cursor is from a history this store lost.
  const [entry] = await reader.listChanges(cursor.position - 1, 1);
  return entry?.position !== cursor.position || fingerprintOf(entry.record) === cursor.fingerprint;
}

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
  const limit = Math.min(request.limit, ctx.maxPullLimit);
  // Bound the rows scanned per request, so a user who may see few records cannot make one pull
  // read the whole feed; the cursor moves past the skipped rows and `hasMore` stays true.
  const maxScanned = Math.max(limit * 10, 1000);
  // Only the user's own records and those of collections a scope function guards: index ranges,
  // so other users' writes cost this pull nothing. Visibility is still checked per entry.
  const filter: ChangeFilter = { ownerId: user.userId, collections: scopedCollections(ctx) };
  const epoch = await reader.getEpoch();
  const head = await reader.getHead();
  let position = 0;
  let fingerprint: string | undefined;
  let reset = false;
  if (request.cursor !== null) {
    const cursor = decodeCursor(request.cursor);
    if (cursor && (await isCursorValid(reader, cursor, epoch, head))) {
      position = cursor.position;
      fingerprint = cursor.fingerprint;
    } else {
      reset = true;
    }
  }
  const changes: WireRecord[] = [];
  let scanned = 0;
  let hasMore = false;
  scan: for (;;) {
    const rows = await reader.listChanges(position, limit + 1, filter);
    const page = rows.slice(0, limit);
    for (const [index, entry] of page.entries()) {
      position = entry.position;
      fingerprint = fingerprintOf(entry.record);
      scanned += 1;
      if (isVisible(ctx, entry.record, user)) changes.push(toWireRecord(entry.record));
      if (changes.length >= limit || scanned >= maxScanned) {
        hasMore = index < page.length - 1 || rows.length > limit;
        break scan;
      }
    }
    if (rows.length <= limit) break;
  }
  return {
    protocol: PROTOCOL_VERSION,
    changes,
    cursor: encodeCursor(epoch, position, fingerprint),
    hasMore,
    reset,
  };
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
      if (record && isInScope(collection, record, user)) found.push(toWireRecord(record));
    }
    return found;
  });
  return { protocol: PROTOCOL_VERSION, records };
}

const scoped = new WeakMap<ServerContext, readonly string[]>();

/** Names of the collections whose visibility a scope function decides (not only ownership). */
function scopedCollections(ctx: ServerContext): readonly string[] {
  let names = scoped.get(ctx);
  if (!names) {
    names = [...ctx.collections.values()].filter((c) => c.scope).map((c) => c.name);
    scoped.set(ctx, names);
  }
  return names;
}

function isVisible(ctx: ServerContext, record: ServerRecord, user: SyncUser): boolean {
  const collection = ctx.collections.get(record.collection);
  return collection !== undefined && isInScope(collection, record, user);
}
