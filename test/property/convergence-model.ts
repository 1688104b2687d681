// Model and oracle of the convergence property test (test/property/convergence.test.ts).
import fc from 'fast-check';
import type { ConflictStrategy, RecordData, SyncClient } from 'tidesync';
import { defineCollection, NetworkError } from 'tidesync';
import { z } from 'zod';
import { ordersFor, setStepArbs, type SetStep } from './convergence-sets.js';
import { LATEST, todosAt, type TodoVersion } from './convergence-versions.js';

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
  const serverTitle = z.string().refine((t) => !t.startsWith(POISON), 'a poison title');
  // Synced by sets (convergence-sets.ts), at one version.
  const orders = ordersFor(conflict);
  // The clients' definitions per app version (convergence-versions.ts); the server runs the latest.
  const clientAt = (version: TodoVersion) => [projects, todosAt(version, conflict), orders];
  return {
    client: clientAt(LATEST),
    clientAt,
    server: [projects, todosAt(LATEST, conflict, serverTitle), orders],
  };
}

/** One step of a schedule. `pick` chooses among the records the client can see. */
export type Step =
  | { t: 'insertTodo'; c: number; title: string }
  | { t: 'insertProject'; c: number; name: string }
  | { t: 'update'; c: number; pick: number; title?: string; done?: boolean }
  | { t: 'reference'; c: number; pick: number; project: number }
  | { t: 'delete'; c: number; pick: number; collection: 'todos' | 'projects' | 'orders' }
  | SetStep
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
  | { t: 'upgrade'; c: number }
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

const commonSteps: fc.WeightedArbitrary<Step>[] = [
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
  // The app of client c is updated to the next schema version (a restart with a local upgrade).
  { weight: 1, arbitrary: fc.record({ t: fc.constant('upgrade' as const), c: client }) },
  // A crash or deploy of the server process, over the same store.
  { weight: 1, arbitrary: fc.constant({ t: 'serverRestart' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('tick' as const),
      ms: fc.integer({ min: 1, max: 5000 }),
    }),
  },
];

const deleteStep = (collections: readonly ('todos' | 'projects' | 'orders')[]) => ({
  weight: 1,
  arbitrary: fc.record({
    t: fc.constant('delete' as const),
    c: client,
    pick: fc.nat(),
    collection: fc.constantFrom(...collections),
  }),
});

/**
 * The steps of a schedule with sync sets: orders written and moved between regions, sync sets
 * added and removed per client (convergence-sets.ts), besides everything else.
 */
export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  ...commonSteps,
  deleteStep(['todos', 'projects', 'orders']),
  ...setStepArbs(client, word),
);

/** The steps of a schedule without sync sets (no orders are written, no set is declared). */
export const plainStepArb: fc.Arbitrary<Step> = fc.oneof(
  ...commonSteps,
  deleteStep(['todos', 'projects']),
);

/** Syncs and swallows the network failures the schedule itself injected. */
export async function trySync(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
  }
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
