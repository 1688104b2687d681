import type { CollectionDefinition, SyncSetValue } from '../../core/index.js';
import { setValueKey } from '../../core/index.js';
import type { ServerRecord } from '../feed-types.js';
import type { ServerStore, ServerStoreTransaction } from '../server-store.js';
import { withMethodOverrides } from '../method-overrides.js';
import type { CommittedChange, IndexedValues, SetChange } from './committed-change.js';

/** The indexed values of a record state, `null` for none or a tombstone. */
export function indexedValuesOf(
  collection: CollectionDefinition,
  record: ServerRecord | undefined,
): IndexedValues | null {
  if (!record || record.deleted) return null;
  const values: Record<string, SyncSetValue> = {};
  for (const field of collection.indexes) {
    if (!Object.hasOwn(record.data, field)) continue;
    const value = record.data[field];
    if (setValueKey(value) !== undefined) values[field] = value as SyncSetValue;
  }
  return values;
}

/**
 * Wraps `store` so that every transaction that wrote records reports them to `onCommit` once it
 * has committed, never before (a poke must not reach a device before the pull can see the
 * change). The store itself is not changed; a re-run transaction reports its last run only.
 */
export function observeCommits(
  store: ServerStore,
  collections: ReadonlyMap<string, CollectionDefinition>,
  onCommit: (change: CommittedChange) => void,
): ServerStore {
  const observed: ServerStore = {
    kind: store.kind,
    open: () => store.open(),
    read: (fn) => store.read(fn),
    close: () => store.close(),
    async transaction(fn) {
      let capture: Capture | undefined;
      const result = await store.transaction((tx) => {
        capture = new Capture(tx, collections);
        return fn(capture.tx);
      });
      const change = capture?.change();
      if (change) onCommit(change);
      return result;
    },
  };
  if (store.liveChannel) return { ...observed, liveChannel: store.liveChannel };
  return observed;
}

class Capture {
  readonly tx: ServerStoreTransaction;
  readonly #collections: ReadonlyMap<string, CollectionDefinition>;
  #originClientId: string | null = null;
  readonly #owners = new Set<string>();
  readonly #scoped = new Map<string, { before?: ServerRecord; after?: ServerRecord }>();
  readonly #sets = new Map<string, { before?: ServerRecord; after: ServerRecord }>();

  constructor(tx: ServerStoreTransaction, collections: ReadonlyMap<string, CollectionDefinition>) {
    this.#collections = collections;
    const lockClient: ServerStoreTransaction['lockClient'] = async (clientId, userId) => {
      this.#originClientId ??= clientId;
      return tx.lockClient(clientId, userId);
    };
    const putRecord: ServerStoreTransaction['putRecord'] = async (record) => {
      const definition = this.#collections.get(record.collection);
      if (definition?.sync === 'sets') {
        const key = `${record.collection}\u0000${record.id}`;
        const states = this.#sets.get(key);
        if (states) states.after = record;
        else {
          // Answered from what the transaction already read, like the scoped read below.
          const before = await tx.getRecord(record.collection, record.id);
          this.#sets.set(key, before ? { before, after: record } : { after: record });
        }
      }
      if (definition?.scope) {
        const key = `${record.collection}\u0000${record.id}`;
        let states = this.#scoped.get(key);
        if (!states) {
          // The state before the push decides who loses sight of the record; the store answers
          // this read from what the transaction already read (put requires a read first).
          const before = await tx.getRecord(record.collection, record.id);
          states = before ? { before } : {};
          this.#scoped.set(key, states);
        }
        states.after = record;
      } else if (definition?.sync !== 'sets') {
        this.#owners.add(record.ownerId);
      }
      return tx.putRecord(record);
    };
    this.tx = withMethodOverrides(tx, { lockClient, putRecord });
  }

  change(): CommittedChange | undefined {
    if (this.#owners.size === 0 && this.#scoped.size === 0 && this.#sets.size === 0) {
      return undefined;
    }
    const scopedRecords: ServerRecord[] = [];
    const scoped: { collection: string; id: string; version: number }[] = [];
    for (const states of this.#scoped.values()) {
      if (states.before) scopedRecords.push(states.before);
      if (states.after) {
        scopedRecords.push(states.after);
        const { collection, id, version } = states.after;
        scoped.push({ collection, id, version });
      }
    }
    const setChanges: SetChange[] = [];
    for (const { before, after } of this.#sets.values()) {
      const definition = this.#collections.get(after.collection)!;
      setChanges.push({
        collection: after.collection,
        id: after.id,
        ownerId: after.ownerId,
        before: indexedValuesOf(definition, before),
        after: indexedValuesOf(definition, after),
      });
    }
    return {
      originClientId: this.#originClientId,
      ownerIds: [...this.#owners],
      scopedRecords,
      scoped,
      setChanges,
    };
  }
}
