// The heartbeat's safety net for lost notices (S40) covers a move out of a sync set too. In a
// collection without a scope function the server keeps no state before a change, so the check
// of states cannot see that the record matched the stream's set; the set index's exit marker
// (the old value's row, bumped to the move's position) does.
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveChannel, ServerStore } from 'tidesync/server';
import { memoryServerStore } from 'tidesync/server';
import { createLocalChannel } from '../../src/server/live/live-channel.js';
import { positionOf } from './live-helpers.js';
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

/** A memory store whose live notices are dropped while `losing()` says so. */
function lossyStore(losing: () => boolean): ServerStore {
  const local = createLocalChannel();
  const channel: LiveChannel = {
    publish: (change, on) => (losing() ? Promise.resolve() : local.publish(change, on)),
    subscribe: (listener, onResync) => local.subscribe(listener, onResync),
  };
  const inner = memoryServerStore();
  return {
    kind: inner.kind,
    open: () => inner.open(),
    read: (fn) => inner.read(fn),
    transaction: (fn) => inner.transaction(fn),
    close: () => inner.close(),
    liveChannel: channel,
  };
}

describe('a lost notice of a move out of a sync set (S40)', () => {
  it('pokes the stream whose set the record left at the next heartbeat', async () => {
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
    const alice = orderWriter(running.server);
    const inside = await written(control, () => alice.insert('n1', 'north'));
    await pokeAt(withSet, inside);

    losing = true;
    // The control stream (no sets) is poked by the heartbeat's check of states.
    const movedOut = await written(control, () => alice.move('n1', 'south'));
    // Heartbeats after the move: their checks ran (a ping follows each check's start).
    let pings = 0;
    await withSet.next(
      (e) =>
        (e.event === 'poke' && positionOf(e) >= movedOut) || (e.event === 'ping' && ++pings >= 6),
    );
    // Before the fix the check saw only the record's current state (south): no poke, and the
    // device kept the order until something else made it pull.
    expect(pokes(withSet).filter((p) => p >= movedOut)).not.toEqual([]);
  });

  it('does not poke for a move between values outside the set', async () => {
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
    const alice = orderWriter(running.server);
    await written(control, () => alice.insert('s1', 'south'));
    losing = true;
    const moved = await written(control, () => alice.move('s1', 'east'));
    let pings = 0;
    await withSet.next((e) => e.event === 'ping' && ++pings >= 6);
    expect(moved).toBeGreaterThan(positionOf(withSet.events[0]!));
    expect(pokes(withSet)).toEqual([]);
  });
});
