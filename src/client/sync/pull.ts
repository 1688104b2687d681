import type {
  PullRequest,
  PullResponse,
  StorageTransaction,
  StoredRecord,
  WireRecord,
} from '../../core/index.js';
import type { ClientContext } from '../client-context.js';
import type { ServerApi } from './server-api.js';
import { assignServerId } from '../local/id-mapping.js';
import { StuckCursorGuard, applyPageEntries } from './pull-guard.js';
import { pullBudgetOf, reportSkipped } from './pull-skipped.js';
import { overlayPending } from './pending-overlay.js';
import { observeServerTime, persistClock } from '../local/transaction-clock.js';
import { restartSyncSets } from './sync-set-records.js';
import { PullProgress } from './pull-progress.js';
import { screenPulledPage } from './remote-validation.js';
import { pageAtAppVersion, schemaVersionsOf } from './schema-versions.js';
import { Outbox } from '../../outbox/index.js';
import { committedEvents } from './committed-events.js';
import { readInBatches } from './batch-lookup.js';
import { catchUpAppliedSeq, catchUpSeq, forgetAppliedSeq, readAppliedSeq } from './applied-seq.js';

/** Metadata key of the pull cursor. */
export const CURSOR_META_KEY = 'pull.cursor';

/** What one pull run did. */
export interface PullTally {
  pulled: number;
  rebased: boolean;
  readonly changed: Set<string>;
}

/**
 * Pulls pages until the server says there is no more. Each page and the cursor that covers it
 * commit in one local transaction (I6), so a crash mid-page re-pulls that page and never skips.
 * The next page is requested (with this page's cursor) while this one is stored, so the server
 * works while the client applies; it is only applied after this page committed, so the order
 * of commits and cursors is the same as one request at a time.
 */
export async function pullChanges(ctx: ClientContext, server: ServerApi): Promise<PullTally> {
  const tally: PullTally = { pulled: 0, rebased: false, changed: new Set() };
  const guard = new StuckCursorGuard(
    (times) =>
      `The server keeps answering the same pull cursor with more data (${times} times). Pulling stopped to avoid a loop; check the server's change feed.`,
  );
  const start = await ctx.opts.storage.transaction('readonly', async (tx) => ({
    cursor: (await tx.getMeta<string>(CURSOR_META_KEY)) ?? null,
    appliedSeq: await readAppliedSeq(tx),
    catchUp: await catchUpSeq(tx),
  }));
  let cursor = start.cursor;
  // Our own writes up to `appliedSeq` are left out: we hold their answers (applied-seq.ts).
  let echoes: Pick<PullRequest, 'appliedSeq'> =
    start.appliedSeq === undefined ? {} : { appliedSeq: start.appliedSeq };
  // The first page brings the server's count of what remains, for a real progress total.
  let next = fetchPullPage(ctx, server, cursor, { countRemaining: true, ...echoes });
  const progress = new PullProgress(ctx.emit, ctx.opts.pullPageSize);
  for (;;) {
    const page = await next;
    guard.check(page, cursor);
    // A re-base needs every state again, our own echoes too, for the rest of the run.
    if (page.reset) echoes = {};
    // A cursor that does not move gets no early request: SYNC_STUCK stays bounded in requests.
    const ahead =
      page.hasMore && page.cursor !== cursor
        ? fetchPullPage(ctx, server, page.cursor, echoes)
        : undefined;
    // If storing this page fails, the early request's outcome is dropped, never unhandled.
    ahead?.catch(() => undefined);
    // Records that fail their schema stay out of storage; the cursor still moves past them.
    const rejected = screenPulledPage(ctx.opts.collections, page);
    const events = committedEvents(ctx.emit);
    await ctx.opts.storage.transaction('readwrite', async (tx) => {
      if (page.reset) await rebase(tx, tally);
      receiveLatest(ctx, page.changes);
      // Applying changes never adds ops, so an outbox empty now stays empty for the whole page:
      // then no record can have pending ops, and the per-record op lookups are skipped.
      const outboxEmpty = await new Outbox(tx).isEmpty();
      const known = await lookUpPage(ctx, tx, page.changes);
      await applyPageEntries(
        ctx,
        tx,
        page,
        tally,
        (change) => applyChange(ctx, tx, change, outboxEmpty, known),
        events.emit,
      );
      await tx.setMeta(CURSOR_META_KEY, page.cursor);
      if (!page.hasMore && start.catchUp !== undefined) {
        await catchUpAppliedSeq(tx, start.catchUp);
      }
      observeServerTime(ctx.clock, page);
      await persistClock(tx, ctx.clock);
    });
    events.flush();
    for (const event of rejected) ctx.emit('remoteRejected', event);
    reportSkipped(ctx.emit, page);
    if (page.reset) {
      tally.rebased = true;
      ctx.emit('serverReset');
    }
    progress.page(page, tally.pulled);
    if (!page.hasMore) return tally;
    cursor = page.cursor;
    next = ahead ?? fetchPullPage(ctx, server, cursor, echoes);
  }
}

/**
 * Requests the page after `cursor` and validates the answer (zod, once), with extra request
 * fields: `set` (a sync set's page, docs/sync-sets.md), `countRemaining` and `appliedSeq`.
 * @throws ProtocolError `PROTOCOL_ERROR` for an error answer or a malformed page;
 * TidesyncError `USER_MISMATCH` when the server says the scope belongs to another user.
 */
export async function fetchPullPage(
  ctx: ClientContext,
  server: ServerApi,
  cursor: string | null,
  extra: Pick<PullRequest, 'set' | 'held' | 'countRemaining' | 'appliedSeq'> = {},
): Promise<PullResponse> {
  const answer = await server.pull(
    {
      cursor,
      limit: ctx.opts.pullPageSize,
      ...pullBudgetOf(server),
      schemaVersions: schemaVersionsOf(ctx.opts.collections),
      ...extra,
    },
    ctx.abort.signal,
  );
  if (!answer.ok) throw server.refusalError('pull', answer.refusal);
  return pageAtAppVersion(ctx.opts.collections, answer.reply);
}

/**
 * The server's history no longer matches our cursor (restored from a backup, or reset): drop
 * every synced record, keep everything pending or conflicted, and pull the whole scope again.
 */
async function rebase(tx: StorageTransaction, tally: PullTally): Promise<void> {
  // What we held no longer says what the server has: no echo may be left out until a run
  // catches up again (applied-seq.ts).
  await forgetAppliedSeq(tx);
  for (const collection of await tx.listCollections()) {
    for (const record of await tx.listRecords(collection)) {
      if (record.syncStatus !== 'synced') continue;
      if ((await new Outbox(tx).pendingOf(collection, record.id)).length > 0) continue;
      await tx.deleteRecord(collection, record.id);
      tally.changed.add(collection);
    }
  }
  // Sync sets pull again from the start: what they cover was dropped with the rest.
  await restartSyncSets(tx);
}

/**
 * Merges the latest clock of a page into ours once, instead of once per change: the clock ends
 * after every change of the page either way (HLC strings sort by time, then counter).
 */
function receiveLatest(ctx: ClientContext, changes: readonly WireRecord[]): void {
  let latest: string | undefined;
  for (const change of changes) {
    if (!ctx.opts.collections.has(change.collection)) continue;
    if (latest === undefined || change.hlc > latest) latest = change.hlc;
  }
  if (latest !== undefined) ctx.clock.receive(latest);
}

/** Local records (null: none) of a page's changes, by collection, then server id. */
type PageRecords = Map<string, Map<string, StoredRecord | null>>;

/**
 * Reads the local records of a page's changes up front, in one call per collection, when
 * the adapter offers the optional batch lookup (`StorageTransaction.getRecordsByServerIds`);
 * `undefined` when it does not (one lookup per change then).
 */
async function lookUpPage(
  ctx: ClientContext,
  tx: StorageTransaction,
  changes: readonly WireRecord[],
): Promise<PageRecords | undefined> {
  const read = await readInBatches(
    tx,
    'getRecordsByServerIds',
    changes.filter((c) => ctx.opts.collections.has(c.collection)).map((c) => [c.collection, c.id]),
  );
  if (!read) return undefined;
  const known: PageRecords = new Map();
  for (const [collection, { keys, found }] of read) {
    known.set(collection, new Map(keys.map((id) => [id, found.get(id) ?? null])));
  }
  return known;
}

/**
 * The local record of a change's server id: from the page's batch lookup for the first change
 * of that record in the page (the entry is taken out: a later change of the same record must
 * see the first one's write), else one lookup.
 */
function localRecordOf(
  tx: StorageTransaction,
  change: WireRecord,
  known: PageRecords | undefined,
): Promise<StoredRecord | undefined> | StoredRecord | undefined {
  const records = known?.get(change.collection);
  const hit = records?.get(change.id);
  if (hit === undefined) return tx.getRecordByServerId(change.collection, change.id);
  records!.delete(change.id);
  return hit ?? undefined;
}

/** Applies one pulled change; returns whether anything changed locally. */
export async function applyRemoteChange(
  ctx: ClientContext,
  tx: StorageTransaction,
  change: WireRecord,
): Promise<boolean> {
  if (!ctx.opts.collections.has(change.collection)) return false;
  ctx.clock.receive(change.hlc);
  return applyChange(ctx, tx, change, false);
}

/**
 * {@link applyRemoteChange} after the clock has seen the change. `outboxEmpty` says the caller
 * knows there is no op at all, so the record's pending ops need not be looked up. `known` is the
 * page's batch lookup, if any.
 */
async function applyChange(
  ctx: ClientContext,
  tx: StorageTransaction,
  change: WireRecord,
  outboxEmpty: boolean,
  known?: PageRecords,
): Promise<boolean> {
  if (!ctx.opts.collections.has(change.collection)) return false;
  let local = await localRecordOf(tx, change, known);
  if (!local && change.originClientId === ctx.clientId && change.originId !== null) {
    // Our own insert whose acknowledgement we have not seen yet (a lost response).
    const own = await tx.getRecord(change.collection, change.originId);
    if (own && own.serverId === null) {
      local = await assignServerId(tx, ctx.opts.collections, own, change.id);
      // Assigning rewrote references in other records: the batch lookup may be stale now.
      known?.clear();
    }
  }
  if (!local) {
    if (change.deleted) return false;
    await tx.putRecord(overlayPending(undefined, change, [], change.id, ctx.opts.now()));
    return true;
  }
  if (change.version <= local.version) return false; // an echo or an older version
  if (local.syncStatus === 'conflicted' && local.conflict) {
    await tx.putRecord({
      ...local,
      version: change.version,
      conflict: {
        ...local.conflict,
        remote: change.deleted ? null : change.data,
        remoteVersion: change.version,
        remoteHlc: change.hlc,
        remoteFieldClocks: change.fieldClocks,
      },
    });
    return true;
  }
  const pending = outboxEmpty ? [] : await new Outbox(tx).pendingOf(local.collection, local.id);
  await tx.putRecord(overlayPending(local, change, pending, local.id, ctx.opts.now()));
  return true;
}
