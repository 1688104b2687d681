// Model and oracle of the convergence property test (test/property/convergence.test.ts).
import fc from 'fast-check';
import type { ConflictStrategy, OutboxOp, RecordData, StorageAdapter, SyncClient } from 'tidesync';
import { defineCollection, NetworkError } from 'tidesync';
import { z } from 'zod';

export const CLIENTS = 3;

/** A todo title the clients accept and the server refuses. */
export const POISON = 'poison';

/** Whether a record's data holds a {@link POISON} title. */
export function isPoison(data: RecordData | null | undefined): boolean {
  return typeof data?.['title'] === 'string' && data['title'].startsWith(POISON);
}

/**
 * The collections of a run: the clients' definitions, and the server's, which is stricter (S21):
 * it refuses a todo whose title is a poison title, which every client accepts. The op is
 * rejected (`validation_failed`) and dead-lettered on its client.
 */
export function collectionsFor(conflict: ConflictStrategy) {
  const projects = defineCollection({
    name: 'projects',
    schema: z.object({ name: z.string() }),
    conflict,
  });
  const todo = (title: z.ZodType<string>) =>
    defineCollection({
      name: 'todos',
      schema: z.object({ title, done: z.boolean(), projectId: z.string().nullable() }),
      conflict,
      references: { projectId: 'projects' },
    });
  const serverTitle = z.string().refine((t) => !t.startsWith(POISON), 'a poison title');
  return { client: [projects, todo(z.string())], server: [projects, todo(serverTitle)] };
}

/** One step of a schedule. `pick` chooses among the records the client can see. */
export type Step =
  | { t: 'insertTodo'; c: number; title: string }
  | { t: 'insertProject'; c: number; name: string }
  | { t: 'update'; c: number; pick: number; title?: string; done?: boolean }
  | { t: 'reference'; c: number; pick: number; project: number }
  | { t: 'delete'; c: number; pick: number; collection: 'todos' | 'projects' }
  | { t: 'sync'; c: number }
  | {
      t: 'faults';
      c: number;
      drop: number;
      lose: number;
      duplicate: number;
      serverError: number;
      rateLimit: number;
    }
  | { t: 'offline'; c: number }
  | { t: 'online'; c: number }
  | { t: 'restart'; c: number }
  | { t: 'clockJump'; c: number; ms: number }
  | { t: 'serverRestart' }
  | { t: 'tick'; ms: number };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A device clock is kept within this of the server's, below its 24 h drift clamp. */
export const MAX_CLOCK_OFFSET_MS = 12 * HOUR;
const client = fc.integer({ min: 0, max: CLIENTS - 1 });
const word = fc.constantFrom('a', 'b', 'c', 'd', 'e');
// One todo title in 12 is a poison op.
const title = fc.oneof(
  { weight: 11, arbitrary: word },
  { weight: 1, arbitrary: fc.constant(POISON) },
);
const rate = fc.constantFrom(0, 0, 0.3, 1);

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('insertTodo' as const), c: client, title }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('insertProject' as const), c: client, name: word }),
  },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        t: fc.constant('update' as const),
        c: client,
        pick: fc.nat(),
        title,
        done: fc.boolean(),
      },
      { requiredKeys: ['t', 'c', 'pick'] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('reference' as const),
      c: client,
      pick: fc.nat(),
      project: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('delete' as const),
      c: client,
      pick: fc.nat(),
      collection: fc.constantFrom('todos' as const, 'projects' as const),
    }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('sync' as const), c: client }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('faults' as const),
      c: client,
      drop: rate,
      lose: rate,
      duplicate: rate,
      // 503 and 429 answers; at 1, a burst: every request fails until the next faults step or
      // the heal.
      serverError: rate,
      rateLimit: rate,
    }),
  },
  // The device clock of client c jumps forward or back by minutes to hours (S17).
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('clockJump' as const),
      c: client,
      ms: fc.constantFrom(-3 * HOUR, -HOUR, -10 * MINUTE, 10 * MINUTE, HOUR, 3 * HOUR),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('offline' as const), c: client }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('online' as const), c: client }) },
  // The app of client c dies and starts again on its storage (a client crash).
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restart' as const), c: client }) },
  // A crash or deploy of the server process, over the same store.
  { weight: 1, arbitrary: fc.constant({ t: 'serverRestart' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('tick' as const),
      ms: fc.integer({ min: 1, max: 5000 }),
    }),
  },
);

/** The local state right after a locally acknowledged write (read from the client's storage). */
export interface AckedWrite {
  readonly collection: string;
  readonly id: string;
  readonly hlc: string;
  readonly fieldClocks: Record<string, string>;
  readonly data: RecordData;
  readonly deleted: boolean;
  readonly client: number;
}

export async function recordAck(
  acks: AckedWrite[],
  storage: StorageAdapter,
  client: number,
  collection: string,
  id: string,
): Promise<void> {
  const stored = await storage.transaction('readonly', (tx) => tx.getRecord(collection, id));
  if (!stored) throw new Error(`write to ${collection}/${id} resolved but nothing is stored`);
  acks.push({
    collection,
    id: stored.serverId ?? stored.id,
    hlc: stored.hlc,
    fieldClocks: { ...stored.fieldClocks },
    data: { ...stored.data },
    deleted: stored.deleted,
    client,
  });
}

/** Syncs and swallows the network failures the schedule itself injected. */
export async function trySync(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
  }
}

/**
 * Writes whose clock is not above the previous write of the same client: a client's clock never
 * goes back, across restarts too (its last clock is stored with its data).
 */
export function clockRegressions(acks: readonly AckedWrite[]): string[] {
  const last = new Map<number, AckedWrite>();
  const out: string[] = [];
  for (const a of acks) {
    if (a.hlc === '~') continue; // a never-sent insert deleted again: no clock
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

/** What the server must hold for each record according to the strategy, from the acked writes. */
export function expectedState(
  strategy: 'lastWriteWins' | 'fieldMerge',
  acks: readonly AckedWrite[],
): Map<string, RecordData | null> {
  const byRecord = new Map<string, AckedWrite[]>();
  for (const a of acks) {
    const key = `${a.collection}/${a.id}`;
    byRecord.set(key, [...(byRecord.get(key) ?? []), a]);
  }
  const out = new Map<string, RecordData | null>();
  for (const [key, writes] of byRecord) {
    if (strategy === 'lastWriteWins') {
      const last = writes.reduce((a, b) => (b.hlc > a.hlc ? b : a));
      out.set(key, last.deleted ? null : last.data);
      continue;
    }
    if (writes.some((w) => w.deleted)) {
      out.set(key, null); // fieldMerge: remove-wins
      continue;
    }
    const data: RecordData = {};
    const clocks: Record<string, string> = {};
    for (const w of writes) {
      for (const [field, value] of Object.entries(w.data)) {
        const clock = w.fieldClocks[field] ?? w.hlc;
        if (clocks[field] === undefined || clock > (clocks[field] ?? '')) {
          clocks[field] = clock;
          data[field] = value;
        }
      }
    }
    out.set(key, data);
  }
  return out;
}

/** Visible records of a client: `collection/id` to data without metadata. */
export async function visible(c: SyncClient, names: readonly string[]) {
  const out = new Map<string, RecordData>();
  for (const name of names) {
    for (const row of await c.collection(name).find()) {
      const { id, serverId, updatedAt: _u, syncStatus: _s, ...data } = row;
      out.set(`${name}/${serverId ?? id}`, data);
    }
  }
  return out;
}

/** Whether the record a write left holds a poison title (a delete's tombstone does not count). */
function isPoisonWrite(a: AckedWrite): boolean {
  return !a.deleted && isPoison(a.data);
}

/**
 * The records a poison write touched (`collection/id`): a client wrote a {@link POISON} title
 * to them. Their value is not predicted: the poison op is dead-lettered, and with it every op
 * whose whole-record view still carries the poison title where the server reads that view.
 */
export function poisoned(acks: readonly AckedWrite[]): Set<string> {
  return new Set(acks.filter(isPoisonWrite).map((a) => `${a.collection}/${a.id}`));
}

/**
 * What the dead letters of each client must be: only ops on poisoned records, and for every
 * record whose last write on a client was a poison one, a dead letter on that client (never
 * silently lost). `letters[c]` are client c's dead letters.
 */
export function deadLetterProblems(
  acks: readonly AckedWrite[],
  letters: readonly (readonly OutboxOp[])[],
): string[] {
  const tainted = poisoned(acks);
  const problems: string[] = [];
  const last = new Map<string, AckedWrite>();
  for (const a of acks) last.set(`${a.client} ${a.collection}/${a.id}`, a);
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
