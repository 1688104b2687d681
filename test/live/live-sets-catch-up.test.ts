// The heartbeat's safety net for lost notices (S40) covers a move out of a sync set too. In a
// collection without a scope function the server keeps no state before a change, so the check
// of states cannot see that the record matched the stream's set; the set index's exit marker
// (the old value's row, bumped to the move's position) does.
import { afterEach, describe, expect, it } from 'vitest';
import { lossyStore, positionOf } from './live-helpers.js';
import type { RawStream } from './live-helpers.js';
import {
  northSet,
  openWithSets,
  orderWriter,
  pokeAt,
  pokes,
  startSetsServer,
  written,
} from './live-sets-helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A sets server whose notices are lost once `lose()` is called (heartbeat 30 ms), alice's
 * stream with the north set, a control stream without sets, and alice's order writer.
 */
async function lossySetsServer() {
  let losing = false;
  const running = await startSetsServer(
    lossyStore(() => losing),
    { heartbeatMs: 30 },
  );
  cleanups.push(() => running.close());
  const withSet = await openWithSets(running.url, [northSet]);
  const control = await openWithSets(running.url);
  cleanups.push(() => [withSet, control].forEach((s) => s.close()));
  await Promise.all([withSet, control].map((s) => s.next((e) => e.event === 'ready')));
  const lose = () => {
    losing = true;
  };
  return { withSet, control, alice: orderWriter(running.server), lose };
}

/** Waits for `count` pings on `stream` (each follows the start of a heartbeat's check). */
function pings(stream: RawStream, count: number, orPoke?: number) {
  let seen = 0;
  return stream.next(
    (e) =>
      (orPoke !== undefined && e.event === 'poke' && positionOf(e) >= orPoke) ||
      (e.event === 'ping' && ++seen >= count),
  );
}

describe('a lost notice of a move out of a sync set (S40)', () => {
  it('pokes the stream whose set the record left at the next heartbeat', async () => {
    const { withSet, control, alice, lose } = await lossySetsServer();
    const inside = await written(control, () => alice.insert('n1', 'north'));
    await pokeAt(withSet, inside);
    lose();
    // The control stream (no sets) is poked by the heartbeat's check of states.
    const movedOut = await written(control, () => alice.move('n1', 'south'));
    await pings(withSet, 6, movedOut);
    // Before the fix the check saw only the record's current state (south): no poke, and the
    // device kept the order until something else made it pull.
    expect(pokes(withSet).filter((p) => p >= movedOut)).not.toEqual([]);
  });

  it('does not poke for a move between values outside the set', async () => {
    const { withSet, control, alice, lose } = await lossySetsServer();
    await written(control, () => alice.insert('s1', 'south'));
    lose();
    const moved = await written(control, () => alice.move('s1', 'east'));
    await pings(withSet, 6);
    expect(moved).toBeGreaterThan(positionOf(withSet.events[0]!));
    expect(pokes(withSet)).toEqual([]);
  });
});
