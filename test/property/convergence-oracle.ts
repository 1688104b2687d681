// The oracle of the S34 convergence property test: what the test asked each client to write,
// recorded on the test's side (the inserted data, the patch, the delete), never read back from
// the client's storage. The only thing taken from the client is each write's clock, for the
// order between devices; the written values come from the test alone.
import type {
  CollectionDefinition,
  OutboxOp,
  RecordData,
  StorageAdapter,
  SyncClient,
} from 'tidesync';
import { serverSnapshot, type TestHarness } from 'tidesync/testing';
import { isPoison } from './convergence-model.js';
import { serverOrders } from './convergence-sets.js';

/** One write the test made, as the test asked for it. */
export interface Intent {
  readonly collection: string;
  readonly id: string;
  readonly client: number;
  /** The fields the test set (all of them for an insert); empty for a delete. */
  readonly patch: RecordData;
  /**
   * The whole record the client must show after the write: the data of an insert, or the
   * record the client showed just before an update with the test's patch over it; `null` for
   * a delete.
   */
  readonly view: RecordData | null;
  /** The write's clock (from the client's storage: the order between devices), `~` if none. */
  readonly hlc: string;
  /** The schema version of the app that wrote it (`patch` and `view` are at it). @default the latest */
  readonly version?: number;
}

/** A record as the app sees it, without the sync metadata. */
export function appData(row: Record<string, unknown> | undefined): RecordData | undefined {
  if (!row) return undefined;
  const { id: _i, serverId: _s, updatedAt: _u, syncStatus: _y, ...data } = row;
  return data as RecordData;
}

/** What client `c` shows for a record right now (to build the whole view an update leaves). */
export async function shown(
  c: SyncClient,
  collection: string,
  id: string,
): Promise<RecordData | undefined> {
  return appData((await c.collection(collection).get(id)) as Record<string, unknown> | undefined);
}

/** Same data, key order ignored. */
export function sameData(a: unknown, b: unknown): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}
function sorted(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([k, v]) => [k, sorted(v)]),
  );
}

/**
 * Records a write the test made on client `client` (after it resolved: the local ack), and
 * checks read-your-writes at once: the client must show exactly `view` (absent for a delete).
 */
export async function recordIntent(
  intents: Intent[],
  c: SyncClient,
  storage: StorageAdapter,
  write: Omit<Intent, 'hlc'>,
): Promise<void> {
  const after = await shown(c, write.collection, write.id);
  if (write.view === null ? after !== undefined : !sameData(after, write.view)) {
    throw new Error(
      `client ${write.client}: after writing ${JSON.stringify(write.patch)} to ${write.collection}/${write.id} it shows ${JSON.stringify(after ?? null)}, expected ${JSON.stringify(write.view)}`,
    );
  }
  const stored = await storage.transaction('readonly', (tx) =>
    tx.getRecord(write.collection, write.id),
  );
  if (!stored && write.view !== null) {
    throw new Error(`write to ${write.collection}/${write.id} resolved but nothing is stored`);
  }
  // A never-sent insert deleted again leaves nothing (no clock): nobody else saw the record.
  intents.push({ ...write, id: stored?.serverId ?? write.id, hlc: stored?.hlc ?? '~' });
}

/**
 * Writes whose clock is not above the previous write of the same client: a client's clock never
 * goes back, across restarts too (its last clock is stored with its data).
 */
export function clockRegressions(intents: readonly Intent[]): string[] {
  const last = new Map<number, Intent>();
  const out: string[] = [];
  for (const a of intents) {
    if (a.hlc === '~') continue;
    const previous = last.get(a.client);
    if (previous && a.hlc <= previous.hlc) {
      out.push(
        `client ${a.client} wrote ${a.collection}/${a.id} at ${a.hlc}, not after its previous write at ${previous.hlc}`,
      );
    }
    last.set(a.client, a);
  }
  return out;
}

/**
 * What the server and every replica must hold for each record according to the strategy, from
 * the test's writes: under LWW the whole record of the write with the highest clock (`null`:
 * deleted); under field merge, per field, the value the test set in the write with the highest
 * clock among those that set it, and a delete wins.
 */
export function expectedState(
  strategy: 'lastWriteWins' | 'fieldMerge',
  intents: readonly Intent[],
): Map<string, RecordData | null> {
  const byRecord = new Map<string, Intent[]>();
  for (const a of intents) {
    const key = `${a.collection}/${a.id}`;
    byRecord.set(key, [...(byRecord.get(key) ?? []), a]);
  }
  const out = new Map<string, RecordData | null>();
  for (const [key, writes] of byRecord) {
    if (strategy === 'lastWriteWins') {
      out.set(key, writes.reduce((a, b) => (b.hlc > a.hlc ? b : a)).view);
      continue;
    }
    if (writes.some((w) => w.view === null)) {
      out.set(key, null); // fieldMerge: remove-wins
      continue;
    }
    const data: RecordData = {};
    const clocks: Record<string, string> = {};
    for (const w of writes) {
      for (const [field, value] of Object.entries(w.patch)) {
        if (clocks[field] === undefined || w.hlc > clocks[field]) {
          clocks[field] = w.hlc;
          data[field] = value;
        }
      }
    }
    out.set(key, data);
  }
  return out;
}

/** Whether the record a write left holds a poison title (a delete's tombstone does not count). */
function isPoisonWrite(a: Intent): boolean {
  return a.view !== null && isPoison(a.view);
}

/**
 * The records a poison write touched (`collection/id`): the test wrote a poison title to them,
 * or updated them while they showed one. Their value is not predicted: the poison op is
 * dead-lettered, and with it every op whose whole-record view still carries the poison title.
 */
export function poisoned(intents: readonly Intent[]): Set<string> {
  return new Set(intents.filter(isPoisonWrite).map((a) => `${a.collection}/${a.id}`));
}

/** The last view client `client` was asked to leave on record `key` (`undefined`: none). */
export function lastView(
  intents: readonly Intent[],
  client: number,
  key: string,
): RecordData | null | undefined {
  for (let i = intents.length - 1; i >= 0; i--) {
    const a = intents[i]!;
    if (a.client === client && `${a.collection}/${a.id}` === key) return a.view;
  }
  return undefined;
}

/**
 * What the dead letters of each client must be: only ops on poisoned records, and for every
 * record whose last write on a client was a poison one, a dead letter on that client (never
 * silently lost). `letters[c]` are client c's dead letters.
 */
export function deadLetterProblems(
  intents: readonly Intent[],
  letters: readonly (readonly OutboxOp[])[],
): string[] {
  const tainted = poisoned(intents);
  const problems: string[] = [];
  const last = new Map<string, Intent>();
  for (const a of intents) last.set(`${a.client} ${a.collection}/${a.id}`, a);
  for (const [c, ops] of letters.entries()) {
    const keys = new Set(ops.map((op) => `${op.collection}/${op.serverId ?? op.id}`));
    for (const op of ops) {
      const key = `${op.collection}/${op.serverId ?? op.id}`;
      if (!tainted.has(key)) {
        problems.push(
          `client ${c}: ${op.type} of ${key} dead-lettered (${op.error?.code}: ${op.error?.message}), but no poison was written to it`,
        );
      }
    }
    for (const a of last.values()) {
      const key = `${a.collection}/${a.id}`;
      if (a.client === c && isPoisonWrite(a) && !keys.has(key)) {
        problems.push(
          `client ${c}: its last write to ${key} was poison, but no dead letter holds it`,
        );
      }
    }
  }
  return problems;
}

/**
 * What the server holds (`collection/id` to data), read through the protocol, not a client: the
 * feed, and the sync-set collection by a set pull over every value.
 */
export async function serverState(
  h: TestHarness,
  collections: readonly CollectionDefinition[],
): Promise<Map<string, RecordData>> {
  const snapshot = await serverSnapshot(
    h.server,
    collections,
    { 'x-tidesync-harness-user': h.user(0) },
    'convergence-oracle',
  );
  const out = new Map<string, RecordData>();
  for (const [name, rows] of snapshot)
    for (const [id, data] of rows) out.set(`${name}/${id}`, data);
  for (const [key, data] of await serverOrders(h)) out.set(key, data);
  return out;
}
