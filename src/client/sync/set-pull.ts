// Pulls each persisted sync set after its own cursor (docs/sync-sets.md). Every page commits
// with the set's new cursor in one local transaction; a set removed meanwhile drops its page.
import type {
  PullResponse,
  StorageTransaction,
  SyncSetSpec,
  WireRecord,
} from '../../core/index.js';
import type { ClientContext, EmitEvent } from '../client-context.js';
import { MAX_HELD_RECORDS } from '../../core/index.js';
import { listConflicts } from '../local/conflicts.js';
import { committedEvents } from './committed-events.js';
import { getRecords } from './get-records.js';
import type { ServerApi } from './server-api.js';
import type { PullTally } from './pull.js';
import { applyRemoteChange, fetchPullPage } from './pull.js';
import { StuckCursorGuard, applyPageEntries } from './pull-guard.js';
import { PullProgress } from './pull-progress.js';
import { reportSkipped } from './pull-skipped.js';
import { screenPulledPage } from './remote-validation.js';
import { observeServerTime, persistClock } from '../local/transaction-clock.js';
import type { StoredSyncSet } from './sync-set-records.js';
import { holdsUnsynced, isCovered, readSyncSets, writeSyncSets } from './sync-set-records.js';

/**
 * Pulls every persisted set until the server has no more for it. `onComplete` is told each set
 * whose pull reached the end, after that page committed.
 */
export async function pullSyncSets(
  ctx: ClientContext,
  server: ServerApi,
  onComplete: (id: string) => void,
): Promise<PullTally> {
  const tally: PullTally = { pulled: 0, rebased: false, changed: new Set() };
  const [sets, held] = await ctx.opts.storage.transaction('readonly', async (tx) => {
    const stored = await readSyncSets(tx);
    return [stored, await heldOutsideSets(ctx, tx, stored)] as const;
  });
  for (const set of sets) {
    if (!ctx.opts.collections.has(set.collection)) continue;
    // The first set of a collection asks for its held records.
    const ids = held.get(set.collection);
    held.delete(set.collection);
    await pullOneSet(ctx, server, set, tally, onComplete, ids);
  }
  // A collection with held records but no set on this device: no set pull asks for them.
  for (const [collection, ids] of held) await pullHeld(ctx, server, collection, ids, tally);
  return tally;
}

/**
 * Server ids, by collection, of the open conflicts whose server side no set covers: no set
 * range delivers their later changes, so set pulls ask for them by id (`held`). Read only while
 * the client counts open conflicts.
 */
async function heldOutsideSets(
  ctx: ClientContext,
  tx: StorageTransaction,
  sets: readonly StoredSyncSet[],
): Promise<Map<string, string[]>> {
  const held = new Map<string, string[]>();
  if (ctx.status.value.conflicts === 0) return held;
  const collections = new Map([...ctx.opts.collections].filter(([, c]) => c.sync === 'sets'));
  if (collections.size === 0) return held;
  for (const c of await listConflicts(tx, collections)) {
    if (c.serverId === null || c.remote === null || isCovered(sets, c.collection, c.remote)) {
      continue;
    }
    const ids = held.get(c.collection) ?? [];
    if (ids.length < MAX_HELD_RECORDS) held.set(c.collection, [...ids, c.serverId]);
  }
  return held;
}

/**
 * The current server state of `ids` (held records of a collection this device has no set of),
 * asked for by id and applied like set pull entries, in one transaction: a record that left
 * the user's view is not answered and stays as it is.
 */
async function pullHeld(
  ctx: ClientContext,
  server: ServerApi,
  collection: string,
  ids: readonly string[],
  tally: PullTally,
): Promise<void> {
  const signal = ctx.abort.signal;
  const { valid, rejected } = await getRecords(
    server,
    ctx.opts.collections,
    collection,
    ids,
    'pull',
    signal,
  );
  await ctx.opts.storage.transaction('readwrite', async (tx) => {
    const sets = await readSyncSets(tx);
    for (const change of valid) {
      if (await applySetChange(ctx, tx, sets, change)) {
        tally.pulled += 1;
        tally.changed.add(change.collection);
      }
    }
    await persistClock(tx, ctx.clock);
  });
  for (const event of rejected) ctx.emit('remoteRejected', event);
}

async function pullOneSet(
  ctx: ClientContext,
  server: ServerApi,
  set: StoredSyncSet,
  tally: PullTally,
  onComplete: (id: string) => void,
  held: readonly string[] | undefined,
): Promise<void> {
  let cursor = set.cursor;
  const guard = new StuckCursorGuard(
    (times) =>
      `The server keeps answering the same cursor of sync set \`${set.id}\` with more data (${times} times). Pulling stopped to avoid a loop.`,
  );
  const progress = new PullProgress(ctx.emit, ctx.opts.pullPageSize);
  for (let first = true; ; first = false) {
    const page = await fetchPullPage(ctx, server, cursor, {
      set: { collection: set.collection, where: set.where as SyncSetSpec['where'] },
      ...(first ? { countRemaining: true, ...(held ? { held: [...held] } : {}) } : {}),
    });
    guard.check(page, cursor);
    const rejected = screenPulledPage(ctx.opts.collections, page);
    const events = committedEvents(ctx.emit);
    const kept = await ctx.opts.storage.transaction('readwrite', (tx) =>
      applySetPage(ctx, tx, set.id, page, tally, events.emit),
    );
    events.flush();
    for (const event of rejected) ctx.emit('remoteRejected', event);
    // The set was removed while its page was in flight: nothing of it was stored.
    if (!kept) return;
    reportSkipped(ctx.emit, page);
    progress.page(page, tally.pulled);
    if (!page.hasMore) {
      onComplete(set.id);
      return;
    }
    cursor = page.cursor;
  }
}

/**
 * Applies one page of set `id` with its cursor, in `tx`; `false` (nothing written) when the set
 * is no longer persisted.
 */
async function applySetPage(
  ctx: ClientContext,
  tx: StorageTransaction,
  id: string,
  page: PullResponse,
  tally: PullTally,
  emit: EmitEvent,
): Promise<boolean> {
  const sets = await readSyncSets(tx);
  const index = sets.findIndex((s) => s.id === id);
  if (index < 0) return false;
  await applyPageEntries(
    ctx,
    tx,
    page,
    tally,
    (change) => applySetChange(ctx, tx, sets, change),
    emit,
  );
  const next = [...sets];
  next[index] = {
    ...sets[index]!,
    cursor: page.cursor,
    complete: sets[index]!.complete || !page.hasMore,
  };
  await writeSyncSets(tx, next);
  observeServerTime(ctx.clock, page);
  await persistClock(tx, ctx.clock);
  return true;
}

/**
 * One record of a set page, in its current server state: kept or updated when any of the
 * device's sets covers it (only when newer than the local copy: sets pull in any order), else
 * removed from the device unless it holds something unsynced. Returns whether it changed.
 */
async function applySetChange(
  ctx: ClientContext,
  tx: StorageTransaction,
  sets: readonly StoredSyncSet[],
  change: WireRecord,
): Promise<boolean> {
  if (!ctx.opts.collections.has(change.collection)) return false;
  if (change.deleted || isCovered(sets, change.collection, change.data)) {
    return applyRemoteChange(ctx, tx, change);
  }
  const local = await tx.getRecordByServerId(change.collection, change.id);
  if (!local || change.version < local.version) return false;
  if (await holdsUnsynced(tx, local)) return applyRemoteChange(ctx, tx, change);
  await tx.deleteRecord(local.collection, local.id);
  return true;
}
