// Sync sets of one client: declare, list and remove the subsets of `sync: 'sets'` collections
// this device syncs down, and the `ready` promise of each (docs/sync-sets.md).
import type { CollectionDefinition, SyncSetWhere } from '../../core/index.js';
import {
  TidesyncError,
  canonicalWhere,
  createId,
  describeValue,
  safeParseSchema,
  syncSetWhereSchema,
} from '../../core/index.js';
import type { SyncSet, SyncSetOptions, SyncSetRegistry } from '../local/sync-set-types.js';
import { clientClosedError } from '../client-closed.js';
import type { ClientContext } from '../client-context.js';
import type { ServerApi } from './server-api.js';
import type { PullTally } from './pull.js';
import { pullSyncSets } from './set-pull.js';
import type { StoredSyncSet } from './sync-set-records.js';
import {
  SYNC_SETS_SWEEP_META_KEY,
  evictUncovered,
  readSyncSets,
  writeSyncSets,
} from './sync-set-records.js';

interface Waiter {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** The sync sets of one client. Private to the client folder; `SyncClient` exposes it. */
export class SyncSets implements SyncSetRegistry {
  readonly #ctx: ClientContext;
  readonly #waiters = new Map<string, Waiter>();
  readonly #listeners = new Set<() => void>();

  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
  }

  /**
   * Declares a set (or returns the persisted one with the same `where`).
   * @throws TidesyncError `INVALID_OPTION` for a collection without `sync: 'sets'`;
   *   `INVALID_QUERY` for a `where` that is not equality / `in` on indexed fields
   */
  async add(definition: CollectionDefinition, options: SyncSetOptions): Promise<SyncSet> {
    this.#throwIfClosed();
    const where = checkWhere(definition, options);
    const key = canonicalWhere(where);
    const stored = await this.#ctx.opts.storage.transaction('readwrite', async (tx) => {
      const sets = await readSyncSets(tx);
      const same = sets.find(
        (s) => s.collection === definition.name && canonicalWhere(s.where) === key,
      );
      if (same) return { ...same, added: false };
      const created: StoredSyncSet = {
        id: createId(),
        collection: definition.name,
        where,
        cursor: null,
        complete: false,
      };
      await writeSyncSets(tx, [...sets, created]);
      return { ...created, added: true };
    });
    if (stored.added) this.#changed();
    if (!stored.complete) this.#ctx.requestSync();
    return this.#handle(stored);
  }

  /** Every persisted set, in the order they were added. */
  async list(): Promise<SyncSet[]> {
    this.#throwIfClosed();
    const sets = await this.#ctx.opts.storage.transaction('readonly', (tx) => readSyncSets(tx));
    return sets.map((s) => this.#handle(s));
  }

  /** Removes set `id` and the records only it covered; a missing set is not an error. */
  async remove(id: string): Promise<void> {
    this.#throwIfClosed();
    const outcome = await this.#ctx.opts.storage.transaction('readwrite', async (tx) => {
      const sets = await readSyncSets(tx);
      const gone = sets.find((s) => s.id === id);
      if (!gone) return { existed: false, changed: undefined };
      const rest = sets.filter((s) => s.id !== id);
      await writeSyncSets(tx, rest);
      const definition = this.#ctx.opts.collections.get(gone.collection);
      const removed = definition ? await evictUncovered(tx, definition, rest) : 0;
      return { existed: true, changed: removed > 0 ? gone.collection : undefined };
    });
    if (outcome.existed) this.#changed();
    const changed = outcome.changed;
    const waiter = this.#waiters.get(id);
    if (waiter) {
      this.#waiters.delete(id);
      waiter.reject(
        new TidesyncError(
          'SYNC_SET_REMOVED',
          `Sync set \`${id}\` was removed before its first pull completed.`,
        ),
      );
    }
    if (changed) this.#ctx.notify([changed], 'local');
  }

  /** Calls `listener` after a set is added or removed here; returns its unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #throwIfClosed(): void {
    if (this.#ctx.isClosed()) throw clientClosedError();
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /**
   * Pulls every set (a sync run's step after the feed pull). Then, in each `sync: 'sets'`
   * collection with an acknowledged write since the last pass (noted with the acknowledgement),
   * records no set covers and that hold nothing unsynced leave the device: a record written
   * outside the device's sets syncs up, then goes.
   */
  async pull(server: ServerApi): Promise<PullTally> {
    const tally = await pullSyncSets(this.#ctx, server, (id) => {
      const waiter = this.#waiters.get(id);
      this.#waiters.delete(id);
      waiter?.resolve();
    });
    const changed = await this.#ctx.opts.storage.transaction('readwrite', async (tx) => {
      const due = (await tx.getMeta<string[]>(SYNC_SETS_SWEEP_META_KEY)) ?? [];
      if (due.length === 0) return [];
      const sets = await readSyncSets(tx);
      const names: string[] = [];
      for (const name of due) {
        const definition = this.#ctx.opts.collections.get(name);
        if (definition && (await evictUncovered(tx, definition, sets)) > 0) names.push(name);
      }
      await tx.setMeta(SYNC_SETS_SWEEP_META_KEY, undefined);
      return names;
    });
    for (const name of changed) tally.changed.add(name);
    return tally;
  }

  #handle(stored: StoredSyncSet): SyncSet {
    return {
      id: stored.id,
      collection: stored.collection,
      where: stored.where,
      ready: stored.complete ? Promise.resolve() : this.#waiterOf(stored.id).promise,
      remove: () => this.remove(stored.id),
    };
  }

  #waiterOf(id: string): Waiter {
    let waiter = this.#waiters.get(id);
    if (!waiter) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // A set removed before it was ready rejects `ready`; unobserved, that is no crash.
      promise.catch(() => undefined);
      waiter = { promise, resolve, reject };
      this.#waiters.set(id, waiter);
    }
    return waiter;
  }
}

/** The set's `where`, checked against the collection (the server checks it again). */
function checkWhere(definition: CollectionDefinition, options: SyncSetOptions): SyncSetWhere {
  if (definition.sync !== 'sets') {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Collection \`${definition.name}\` syncs everything (\`sync: 'all'\`); declare it with \`sync: 'sets'\` and \`indexes\` to use syncSet().`,
    );
  }
  const parsed = safeParseSchema(syncSetWhereSchema, options?.where);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TidesyncError(
      'INVALID_QUERY',
      `Expected syncSet() on \`${definition.name}\` to get { where } with equality or { in: [...] } on top-level fields, got ${describeValue(options?.where)} (${issue?.message ?? 'invalid'} at \`${issue?.path.join('.') ?? ''}\`).`,
    );
  }
  for (const field of Object.keys(parsed.data)) {
    if (!definition.indexes.includes(field)) {
      throw new TidesyncError(
        'INVALID_QUERY',
        `syncSet() on \`${definition.name}\`: \`${field}\` is not in the collection's \`indexes\` (${definition.indexes.join(', ')}). Add it to \`indexes\` on the client and the server.`,
      );
    }
  }
  return parsed.data;
}
