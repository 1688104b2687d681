// What a transaction buffers (staged writes, encrypted at commit) and the outbox reads that
// are overlaid with it.
import type { ListOpsOptions, OutboxOp, StoredRecord } from '../../core/index.js';
import { DELETED, type Staged } from '../staged.js';
import type { META, OPS, RECORDS } from './indexeddb-layout.js';
import { OPS_BY_RECORD, OPS_BY_SEQ, OPS_BY_STATE, OPS_BY_STATE_SEQ } from './indexeddb-layout.js';
import type { EncryptedRows } from './indexeddb-rows.js';

/** One buffered write: a value (or a delete) for one key of one store. */
export interface Write {
  readonly store: typeof RECORDS | typeof OPS | typeof META;
  readonly key: IDBValidKey;
  readonly value: unknown;
}

/** True for a row read from an encrypted store (it has a `sealed` part). */
export const isSealedRow = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && 'sealed' in value;

/** The buffered writes of a transaction, store by store. */
export function stagedWrites(
  records: ReadonlyMap<string, ReadonlyMap<string, Staged<StoredRecord>>>,
  ops: ReadonlyMap<string, Staged<OutboxOp>>,
  meta: ReadonlyMap<string, Staged<unknown>>,
): Write[] {
  const writes: Write[] = [];
  for (const [collection, staged] of records) {
    for (const [id, value] of staged)
      writes.push({ store: 'records', key: [collection, id], value });
  }
  for (const [opId, value] of ops) writes.push({ store: 'ops', key: opId, value });
  for (const [key, value] of meta) writes.push({ store: 'meta', key, value });
  return writes;
}

/** The same writes with every value encrypted (deletes unchanged). */
export function sealWrites(rows: EncryptedRows, writes: readonly Write[]): Promise<Write[]> {
  return Promise.all(
    writes.map(async (w): Promise<Write> => {
      if (w.value === DELETED) return w;
      if (w.store === 'records') {
        return { ...w, value: await rows.sealRecord(w.value as StoredRecord) };
      }
      if (w.store === 'ops') return { ...w, value: await rows.sealOp(w.value as OutboxOp) };
      return { ...w, value: await rows.sealMeta(w.key as string, w.value) };
    }),
  );
}

/**
 * `listOps` over stored ops overlaid with the buffered ones: filtered, by ascending seq, cut at
 * `limit`. Stored ops may still be encrypted rows; their clear fields are all this reads.
 */
export function overlayOps(
  stored: readonly OutboxOp[],
  staged: ReadonlyMap<string, Staged<OutboxOp>>,
  options: ListOpsOptions,
): OutboxOp[] {
  const { states, collection, recordId, limit } = options;
  const merged = new Map<string, OutboxOp>();
  for (const op of stored) if (!staged.has(op.opId)) merged.set(op.opId, op);
  for (const [opId, value] of staged) {
    if (value !== DELETED) merged.set(opId, structuredClone(value));
  }
  const allowed = states ? new Set(states) : undefined;
  const rows = [...merged.values()]
    .filter(
      (op) =>
        (!allowed || allowed.has(op.state)) &&
        (collection === undefined || op.collection === collection) &&
        (recordId === undefined || op.id === recordId),
    )
    .sort((a, b) => a.seq - b.seq);
  return limit === undefined ? rows : rows.slice(0, limit);
}

/**
 * The stored ops `listOps(options)` needs, through the cheapest index, before the overlay of
 * `bufferedOps` buffered ops. `read` issues one request on the `ops` store.
 */
export async function readOps(
  read: (issue: (ops: IDBObjectStore) => IDBRequest) => Promise<OutboxOp[]>,
  options: ListOpsOptions,
  bufferedOps: number,
  range: typeof IDBKeyRange | undefined,
): Promise<OutboxOp[]> {
  const { states, collection, recordId, limit } = options;
  // The engine may cut a read at `limit` only when no filter is left for the overlay: a
  // recordId without a collection is such a filter (it has no index of its own).
  const unfiltered = collection === undefined && recordId === undefined;
  if (collection !== undefined && recordId !== undefined) {
    return read((ops) => ops.index(OPS_BY_RECORD).getAll([collection, recordId]));
  }
  if (states !== undefined) {
    // The lowest `limit` ops of a state, plus one per buffered op that may override one of
    // them, are enough to answer after the overlay. Needs IDBKeyRange for the range.
    const count = range && limit !== undefined && unfiltered ? limit + bufferedOps : undefined;
    const stored: OutboxOp[] = [];
    for (const state of new Set(states)) {
      stored.push(
        ...(await read((ops) =>
          range && count !== undefined
            ? ops
                .index(OPS_BY_STATE_SEQ)
                .getAll(range.bound([state, -Infinity], [state, Infinity]), count)
            : ops.index(OPS_BY_STATE).getAll(state),
        )),
      );
    }
    return stored;
  }
  // With nothing buffered, the engine can apply the limit itself.
  const count = bufferedOps === 0 && unfiltered ? limit : undefined;
  return read((ops) => ops.index(OPS_BY_SEQ).getAll(null, count));
}
