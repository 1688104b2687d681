// Model and oracle of the convergence property test (test/property/convergence.test.ts).
import fc from 'fast-check';
import type { ConflictStrategy, RecordData, StorageAdapter, SyncClient } from 'tidesync';
import { defineCollection, NetworkError } from 'tidesync';
import { z } from 'zod';

export const CLIENTS = 3;

export function collectionsFor(conflict: ConflictStrategy) {
  const projects = defineCollection({
    name: 'projects',
    schema: z.object({ name: z.string() }),
    conflict,
  });
  const todos = defineCollection({
    name: 'todos',
    schema: z.object({ title: z.string(), done: z.boolean(), projectId: z.string().nullable() }),
    conflict,
    references: { projectId: 'projects' },
  });
  return [projects, todos];
}

/** One step of a schedule. `pick` chooses among the records the client can see. */
export type Step =
  | { t: 'insertTodo'; c: number; title: string }
  | { t: 'insertProject'; c: number; name: string }
  | { t: 'update'; c: number; pick: number; title?: string; done?: boolean }
  | { t: 'reference'; c: number; pick: number; project: number }
  | { t: 'delete'; c: number; pick: number; collection: 'todos' | 'projects' }
  | { t: 'sync'; c: number }
  | { t: 'faults'; c: number; drop: number; lose: number; duplicate: number }
  | { t: 'offline'; c: number }
  | { t: 'online'; c: number }
  | { t: 'restart'; c: number }
  | { t: 'serverRestart' }
  | { t: 'tick'; ms: number };

const client = fc.integer({ min: 0, max: CLIENTS - 1 });
const word = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const rate = fc.constantFrom(0, 0, 0.3, 1);

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('insertTodo' as const), c: client, title: word }),
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
        title: word,
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
