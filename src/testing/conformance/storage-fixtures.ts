import type { OutboxOp, StorageAdapter, StoredRecord } from '../../core/index.js';

/** Creates a fresh, empty, not yet opened adapter. */
export type CreateStorageAdapter = () => StorageAdapter | Promise<StorageAdapter>;

/** One named check of the storage conformance suite. */
export interface StorageConformanceCase {
  /** A sentence about the behaviour checked. */
  readonly name: string;
  /**
   * Runs the check. `createAdapter` returns a fresh, empty, not yet opened adapter on each call;
   * the case opens and closes every adapter it creates.
   */
  run(createAdapter: CreateStorageAdapter): Promise<void>;
}

/** A record with every field set, for conformance checks. */
export function makeRecord(overrides: Partial<StoredRecord> & { id: string }): StoredRecord {
  return {
    collection: 'todos',
    serverId: null,
    data: { title: `title ${overrides.id}`, done: false },
    version: 0,
    hlc: '0001700000000000-0000-client1',
    fieldClocks: { title: '0001700000000000-0000-client1' },
    updatedAt: 1_700_000_000_000,
    accessedAt: 1_700_000_000_000,
    syncStatus: 'pending',
    deleted: false,
    conflict: null,
    ...overrides,
  };
}

/** An outbox op with every field set, for conformance checks. */
export function makeOp(overrides: Partial<OutboxOp> & { opId: string; seq: number }): OutboxOp {
  return {
    pushSeq: null,
    collection: 'todos',
    id: 'r1',
    serverId: null,
    type: 'insert',
    data: { title: 'a', done: false },
    patch: null,
    changedFields: ['title', 'done'],
    baseVersion: 0,
    hlc: '0001700000000000-0000-client1',
    fieldClocks: { title: '0001700000000000-0000-client1', done: '0001700000000000-0000-client1' },
    state: 'queued',
    attempts: 0,
    createdAt: 1_700_000_000_000,
    error: null,
    ...overrides,
  };
}

/** Opens a fresh adapter, runs `fn`, and closes the adapter whatever happens. */
export async function withAdapter<T>(
  createAdapter: CreateStorageAdapter,
  fn: (adapter: StorageAdapter) => Promise<T>,
): Promise<T> {
  const adapter = await createAdapter();
  await adapter.open();
  try {
    return await fn(adapter);
  } finally {
    await adapter.close();
  }
}

/** A small seeded pseudo-random generator (mulberry32), so failures replay exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A resolvable promise, for sequencing concurrent transactions without timers. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  // Assigned synchronously by the Promise executor below.
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A case named `name` that runs `fn` on one fresh, opened adapter (see {@link withAdapter}). */
export function adapterCase(
  name: string,
  fn: (adapter: StorageAdapter) => Promise<void>,
): StorageConformanceCase {
  return { name, run: (create) => withAdapter(create, fn) };
}

/** Puts `records` in one read-write transaction of `adapter`, in order. */
export async function putRecords(
  adapter: StorageAdapter,
  records: readonly StoredRecord[],
): Promise<void> {
  await adapter.transaction('readwrite', async (tx) => {
    for (const record of records) await tx.putRecord(record);
  });
}
