// Sync sets in S34 (issue 19): `orders` is a `sync: 'sets'` collection indexed on `region`. Each
// client starts with one set, adds and removes sets at random (equality and `in` on `region`),
// and writes move orders between regions. The test keeps each client's sets on its own side and
// checks every set change at once: the client's persisted sets are the ones the test declared,
// and a removal leaves only what the remaining sets cover plus the orders that hold something
// unsynced. At the end (convergence-checks.ts) each replica holds exactly the orders its sets
// cover, at the values the strategy resolves the test's writes to: nothing skipped, none stale.
import fc from 'fast-check';
import type { ConflictStrategy, RecordData, SyncClient } from 'tidesync';
import { defineCollection } from 'tidesync';
import type { TestHarness } from 'tidesync/testing';
import { z } from 'zod';

export const REGIONS = ['north', 'south', 'east'] as const;
const SET_COLLECTION = 'orders';

/** The `sync: 'sets'` collection of S34. */
export function ordersFor(conflict: ConflictStrategy) {
  return defineCollection({
    name: SET_COLLECTION,
    schema: z.object({ title: z.string(), region: z.string() }),
    conflict,
    sync: 'sets',
    indexes: ['region'],
  });
}

/** A set as the test declared it: equality on one region, or `in` on two (sorted). */
export type OrderSet = { region: string } | { region: { in: string[] } };

/** The set of `regions` (indexes into {@link REGIONS}). */
export function orderSet(regions: readonly number[]): OrderSet {
  const values = [...new Set(regions.map((r) => REGIONS[r % REGIONS.length]!))].sort();
  return values.length === 1 ? { region: values[0]! } : { region: { in: values } };
}

const key = (where: unknown) => JSON.stringify(where);

/** Whether any of `sets` covers an order with `data` (evaluated by the test, not the client). */
export function covered(sets: readonly OrderSet[], data: RecordData): boolean {
  return sets.some((s) =>
    typeof s.region === 'string'
      ? data['region'] === s.region
      : s.region.in.includes(String(data['region'])),
  );
}

/** Each client's first set: the region of its index. */
export const initialSets = (clients: number): OrderSet[][] =>
  Array.from({ length: clients }, (_, i) => [orderSet([i])]);

/** No set on any client (a schedule without set steps: its clients pull no set). */
export const noSets = (clients: number): OrderSet[][] => Array.from({ length: clients }, () => []);

/** The set steps of a schedule. */
export type SetStep =
  | { t: 'insertOrder'; c: number; title: string; region: number }
  | { t: 'move'; c: number; pick: number; region: number; title?: string }
  | { t: 'addSet'; c: number; regions: number[] }
  | { t: 'removeSet'; c: number; pick: number };

const region = fc.integer({ min: 0, max: REGIONS.length - 1 });

/** Arbitraries of the set steps (titles from `title`: no poison, the server takes any order). */
export function setStepArbs(client: fc.Arbitrary<number>, title: fc.Arbitrary<string>) {
  return [
    {
      weight: 2,
      arbitrary: fc.record({ t: fc.constant('insertOrder' as const), c: client, title, region }),
    },
    // A write that moves an order to another region (or keeps it), sometimes with a new title.
    {
      weight: 3,
      arbitrary: fc.record(
        { t: fc.constant('move' as const), c: client, pick: fc.nat(), region, title },
        { requiredKeys: ['t', 'c', 'pick', 'region'] },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('addSet' as const),
        c: client,
        regions: fc.uniqueArray(region, { minLength: 1, maxLength: 2 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant('removeSet' as const), c: client, pick: fc.nat() }),
    },
  ] satisfies fc.WeightedArbitrary<SetStep>[];
}

/** The client's persisted sets must be the ones the test declared (in any order). */
async function checkSets(c: SyncClient, index: number, mine: readonly OrderSet[]): Promise<void> {
  const held = (await c.syncSets()).filter((s) => s.collection === SET_COLLECTION);
  const got = held.map((s) => key(s.where)).sort();
  const want = mine.map(key).sort();
  if (key(got) !== key(want)) {
    throw new Error(
      `client ${index}: its sync sets are ${got.join(', ') || 'none'}, the test declared ${want.join(', ') || 'none'}`,
    );
  }
}

/** Client `index` declares the set of `regions`; the test records it. */
export async function addSet(
  c: SyncClient,
  index: number,
  sets: OrderSet[],
  regions: readonly number[],
): Promise<void> {
  const where = orderSet(regions);
  await c.collection(SET_COLLECTION).syncSet({ where });
  if (!sets.some((s) => key(s) === key(where))) sets.push(where);
  await checkSets(c, index, sets);
}

/**
 * Client `index` removes one of the sets the test declared on it, and the removal is checked at
 * once: every order that held something unsynced before stays, and every order it still holds
 * is covered by a remaining set or holds something unsynced.
 */
export async function removeSet(
  c: SyncClient,
  index: number,
  sets: OrderSet[],
  pick: number,
): Promise<void> {
  await checkSets(c, index, sets);
  if (sets.length === 0) return;
  const [where] = sets.splice(pick % sets.length, 1);
  const set = (await c.syncSets()).find((s) => key(s.where) === key(where));
  const before = await c.collection(SET_COLLECTION).find();
  const unsynced = new Set(before.filter((r) => r.syncStatus !== 'synced').map((r) => r.id));
  await set!.remove();
  await checkSets(c, index, sets);
  const after = await c.collection(SET_COLLECTION).find();
  const problems: string[] = [];
  const kept = new Set(after.map((r) => r.id));
  for (const id of unsynced) {
    if (!kept.has(id)) problems.push(`dropped ${SET_COLLECTION}/${id}, which held unsynced writes`);
  }
  for (const row of after) {
    if (unsynced.has(row.id) || covered(sets, row)) continue;
    problems.push(
      `still holds ${SET_COLLECTION}/${row.serverId ?? row.id} (region ${String(row['region'])}), which no remaining set covers and which holds nothing unsynced`,
    );
  }
  if (problems.length > 0) {
    throw new Error(
      `client ${index}: removing its set ${key(where)} (left: ${sets.map(key).join(', ') || 'none'}):\n  ${problems.join('\n  ')}`,
    );
  }
}

/** Every order the server holds (`orders/id` to data), read by one set pull over every region. */
export async function serverOrders(h: TestHarness): Promise<Map<string, RecordData>> {
  const found = new Map<string, { version: number; deleted: boolean; data: RecordData }>();
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const response = await h.server.fetch(
      new Request('http://tidesync.harness/sync/pull', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tidesync-harness-user': h.user(0) },
        body: JSON.stringify({
          protocol: 1,
          clientId: 'convergence-oracle',
          cursor,
          limit: 1000,
          set: { collection: SET_COLLECTION, where: { region: { in: [...REGIONS] } } },
        }),
      }),
    );
    const body = (await response.json()) as {
      changes?: { id: string; version: number; deleted: boolean; data: RecordData }[];
      cursor: string | null;
      hasMore: boolean;
    };
    if (!response.ok || !body.changes) {
      throw new Error(
        `The server answered the oracle's set pull with ${response.status}: ${JSON.stringify(body).slice(0, 300)}`,
      );
    }
    for (const change of body.changes) {
      if ((found.get(change.id)?.version ?? -1) > change.version) continue;
      found.set(change.id, change);
    }
    cursor = body.cursor;
    if (!body.hasMore) break;
  }
  const out = new Map<string, RecordData>();
  for (const [id, r] of found) if (!r.deleted) out.set(`${SET_COLLECTION}/${id}`, r.data);
  return out;
}

/**
 * The orders of `expected` that none of `sets` covers (`orders/id`): a replica with these sets
 * must not hold them once it settled (an order that resolves to deleted is absent anyway).
 */
export function outsideSets(
  expected: ReadonlyMap<string, RecordData | null>,
  sets: readonly OrderSet[],
): Set<string> {
  const out = new Set<string>();
  for (const [k, want] of expected) {
    if (k.startsWith(`${SET_COLLECTION}/`) && want !== null && !covered(sets, want)) out.add(k);
  }
  return out;
}
