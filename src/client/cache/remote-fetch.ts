import type { Query, StorageTransaction, StoredRecord, WireRecord } from '../../core/index.js';
import { matchesWhere } from '../../core/index.js';
import {
  findEvicted,
  readEvicted,
  writeEvicted,
  type EvictedIndex,
} from '../local/evicted-index.js';
import { clientClosedError } from '../client-closed.js';
import type { ClientContext } from '../client-context.js';
import type { ResolvedOptions } from '../options.js';
import { applyRemoteChange } from '../sync/pull.js';
import { requireServer } from '../sync/server-api.js';
import { overlayPending } from '../sync/pending-overlay.js';
import { findRecord } from '../local/record-lookup.js';
import { persistClock } from '../local/transaction-clock.js';
import { getRecords } from '../sync/get-records.js';
import type { RemoteRejectedEvent } from '../sync/remote-validation.js';

/** Most ids the server's `get` endpoint takes in one request (getRequestSchema). */
const MAX_IDS_PER_GET = 1000;

/**
 * Brings records this device dropped (retention, `clearCache()`) back from the server through
 * its `get` endpoint. Answers are validated with `getResponseSchema` and stored as synced
 * records, exactly as a pull would store them. Private to the client folder.
 */
export class RemoteFetcher {
  readonly #opts: ResolvedOptions;
  readonly #ctx: ClientContext;

  constructor(ctx: ClientContext) {
    this.#opts = ctx.opts;
    this.#ctx = ctx;
  }

  /**
   * Fetches one record by server id or by a local id this device knows (stored or evicted),
   * stores it, and returns the stored record; `undefined` when the server has no such record
   * in the user's scope, or it was deleted. A record never synced is returned as it is.
   */
  async fetch(collection: string, id: string): Promise<StoredRecord | undefined> {
    this.#throwIfClosed();
    const target = await this.#opts.storage.transaction('readonly', async (tx) => {
      const local = await findRecord(tx, collection, id);
      if (local) return { local, serverId: local.serverId };
      const evicted = findEvicted(await readEvicted(tx, collection), id);
      return { local: undefined, serverId: evicted?.serverId ?? id };
    });
    if (target.serverId === null) return target.local?.deleted ? undefined : target.local;
    const serverId = target.serverId;
    const { valid, rejected } = await this.#get(collection, [serverId]);
    const stored = await this.#store(collection, [serverId], valid, rejected, () => true);
    const refused = rejected.find((r) => r.serverId === serverId);
    if (refused) throw refused.error;
    const record = stored.get(serverId) ?? target.local;
    return record && !record.deleted ? record : undefined;
  }

  /**
   * Re-fetches every evicted record of the collection, stores those that match `query.where`
   * (the others stay server-only), then answers `query` from local storage. It does not
   * discover records this device never had: pulls do that.
   */
  async find(collection: string, query: Query): Promise<StoredRecord[]> {
    this.#throwIfClosed();
    const ids = await this.#opts.storage.transaction('readonly', async (tx) => [
      ...(await readEvicted(tx, collection)).keys(),
    ]);
    for (let start = 0; start < ids.length; start += MAX_IDS_PER_GET) {
      const chunk = ids.slice(start, start + MAX_IDS_PER_GET);
      const { valid, rejected } = await this.#get(collection, chunk);
      await this.#store(collection, chunk, valid, rejected, (r) => matchesWhere(r, query.where));
    }
    return this.#opts.storage.transaction('readonly', (tx) => tx.queryRecords(collection, query));
  }

  #throwIfClosed(): void {
    if (this.#ctx.abort.signal.aborted) throw clientClosedError();
  }

  /**
   * Asks the server for records; answers that fail the collection's schema come back in
   * `rejected` (reported, never stored).
   */
  async #get(
    collection: string,
    ids: readonly string[],
  ): Promise<{ valid: WireRecord[]; rejected: RemoteRejectedEvent[] }> {
    const server = requireServer(this.#ctx.server, 'fetch from the server');
    const signal = this.#ctx.abort.signal;
    return getRecords(server, this.#opts.collections, collection, ids, 'fetch', signal);
  }

  /**
   * Stores fetched records in one readwrite transaction and returns them as stored, by server
   * id. A record still (or again) on this device is merged like a pulled change, so pending
   * edits and open conflicts are kept; a dropped one is restored under its old local id. A
   * `rejected` record stays evicted (its id mapping is kept) and is reported after the commit.
   */
  async #store(
    collection: string,
    asked: readonly string[],
    remote: readonly WireRecord[],
    rejected: readonly RemoteRejectedEvent[],
    wanted: (record: StoredRecord) => boolean,
  ): Promise<Map<string, StoredRecord>> {
    const out = new Map<string, StoredRecord>();
    let changed = false;
    await this.#opts.storage.transaction('readwrite', async (tx) => {
      const index = await readEvicted(tx, collection);
      const before = index.size;
      const found = new Set<string>(rejected.map((r) => r.serverId));
      for (const record of remote) {
        found.add(record.id);
        if (await this.#storeOne(tx, index, record, wanted)) changed = true;
        const stored = await tx.getRecordByServerId(collection, record.id);
        if (stored) out.set(record.id, stored);
      }
      // Gone from the server, or out of this user's scope: nothing left to fetch back.
      for (const id of asked) if (!found.has(id)) index.delete(id);
      if (index.size !== before) await writeEvicted(tx, collection, index);
      await persistClock(tx, this.#ctx.clock);
    });
    if (changed) this.#ctx.notify([collection], 'remote');
    for (const event of rejected) this.#ctx.emit('remoteRejected', event);
    return out;
  }

  async #storeOne(
    tx: StorageTransaction,
    index: EvictedIndex,
    remote: WireRecord,
    wanted: (record: StoredRecord) => boolean,
  ): Promise<boolean> {
    const live = await tx.getRecordByServerId(remote.collection, remote.id);
    if (live) {
      // Back under its old local id: the mapping is done. Under another id (a pull brought it
      // back): keep it, references by the old local id still resolve through it.
      if (index.get(remote.id) === live.id) index.delete(remote.id);
      return applyRemoteChange(this.#ctx, tx, remote);
    }
    if (remote.deleted) {
      index.delete(remote.id);
      return false;
    }
    const oldId = index.get(remote.id);
    const localId =
      oldId !== undefined && !(await tx.getRecord(remote.collection, oldId)) ? oldId : remote.id;
    const now = this.#opts.now();
    const record = overlayPending(undefined, remote, [], localId, now);
    if (!wanted(record)) return false;
    this.#ctx.clock.receive(remote.hlc);
    await tx.putRecord(record);
    index.delete(remote.id);
    return true;
  }
}
