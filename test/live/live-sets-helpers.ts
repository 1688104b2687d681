// Shared pieces of the tests of live pokes that respect a stream's sync sets (issue 19).
import { expect } from 'vitest';
import type { StreamEvent } from 'tidesync';
import type { ServerStore, SyncServer } from 'tidesync/server';
import { orders, orderInsert, orderUpdate, teamOrders } from '../sets/set-helpers.js';
import { push } from '../server/server-helpers.js';
import type { RawStream, RunningServer, Tokens } from './live-helpers.js';
import { collections, openRaw, positionOf, startServer, tokenAuthorize } from './live-helpers.js';

export const tokens: Tokens = new Map([
  ['t-alice', { userId: 'alice' }],
  ['t-bob', { userId: 'bob', team: 'blue' }],
]);

/**
 * A server with `todos`, `boards`, `orders` (sets on region/projectId) and `teamOrders` (sets on
 * region, visible to the team); pushes authorise with `x-user` (and `x-team`).
 */
export function startSetsServer(
  store: ServerStore,
  options: { heartbeatMs?: number } = {},
): Promise<RunningServer> {
  const byToken = tokenAuthorize(tokens);
  return startServer(store, tokens, {
    collections: [...collections, orders, teamOrders],
    live: { coalesceMs: 0, ...options },
    authorize: (request) => {
      const user = request.headers.get('x-user');
      const team = request.headers.get('x-team');
      return user ? { userId: user, ...(team ? { team } : {}) } : byToken(request);
    },
  });
}

/** Alice's live stream declaring `sets` (left out: none declared). */
export function openWithSets(url: string, sets?: unknown): Promise<RawStream> {
  return openRaw(url, 't-alice', sets === undefined ? { protocol: 1 } : { protocol: 1, sets });
}

export const northSet = { collection: 'orders', where: { region: 'north' } };

/** One writer of orders (its own push sequence), as alice unless told. */
export function orderWriter(server: SyncServer, user = 'alice') {
  let seq = 0;
  const versions = new Map<string, number>();
  const send = async (op: Parameters<typeof push>[2][number], id: string) => {
    const answer = await push(server, `writer-${user}`, [op], { user });
    expect(answer.status).toBe(200);
    expect(answer.body.results[0]?.status).toBe('applied');
    versions.set(id, (versions.get(id) ?? 0) + 1);
  };
  return {
    insert: (id: string, region: string) => send(orderInsert(++seq, id, { region }), id),
    move: (id: string, region: string) =>
      send(orderUpdate(++seq, id, versions.get(id) ?? 0, { region }), id),
    retitle: (id: string, title: string) =>
      send(orderUpdate(++seq, id, versions.get(id) ?? 0, { title }), id),
  };
}

export const isPoke = (event: StreamEvent) => event.event === 'poke';

/** Waits for a poke at `position` or later on `stream`. */
export function pokeAt(stream: RawStream, position: number): Promise<StreamEvent> {
  return stream.next((event) => isPoke(event) && positionOf(event) >= position);
}

/** Positions of the pokes the stream has received so far. */
export function pokes(stream: RawStream): number[] {
  return stream.events.filter(isPoke).map(positionOf);
}

/** The position of the next poke on `control` (a stream without sets) after `write` ran. */
export async function written(control: RawStream, write: () => Promise<void>): Promise<number> {
  const before = pokes(control);
  const last = before[before.length - 1] ?? 0;
  await write();
  return positionOf(await pokeAt(control, last + 1));
}

/**
 * The shared scenario: alice's stream on `streamsOn` with the set `region: north`, writes through
 * `writesOn` (the same server or another instance). Returns the positions of every change and
 * the pokes each stream got.
 */
export async function northScenario(streamsOn: RunningServer, writesOn: RunningServer) {
  const withSet = await openWithSets(streamsOn.url, [northSet]);
  const control = await openWithSets(streamsOn.url);
  try {
    expect(withSet.status).toBe(200);
    await withSet.next((e) => e.event === 'ready');
    await control.next((e) => e.event === 'ready');
    const alice = orderWriter(writesOn.server);
    const bob = orderWriter(writesOn.server, 'bob');
    const outside = await written(control, () => alice.insert('s1', 'south'));
    const inside = await written(control, () => alice.insert('n1', 'north'));
    await pokeAt(withSet, inside);
    await bob.insert('bob-n', 'north'); // not alice's: neither stream is poked
    const movedOut = await written(control, () => alice.move('n1', 'south'));
    await pokeAt(withSet, movedOut);
    const afterLeaving = await written(control, () => alice.retitle('n1', 'still south'));
    const movedIn = await written(control, () => alice.move('s1', 'north'));
    await pokeAt(withSet, movedIn);
    return {
      positions: { outside, inside, movedOut, afterLeaving, movedIn },
      withSet: pokes(withSet),
      control: pokes(control),
    };
  } finally {
    withSet.close();
    control.close();
  }
}
