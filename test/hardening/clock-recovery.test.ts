import { describe, expect, it } from 'vitest';
import { HybridLogicalClock, lastWriteWins, parseHlc } from 'tidesync';
import { T0, createWorld, notes } from '../conflict/conflict-helpers.js';

const MINUTE = 60_000;
const YEAR_2099 = Date.UTC(2099, 0, 1);

// Issue 15, item 4: a device whose clock was once far in the future recovers.
describe('a device whose clock was once far in the future', () => {
  it('the clock is brought back to the server time it is told, and stays within the drift', () => {
    let wall = YEAR_2099;
    const clock = new HybridLogicalClock({ nodeId: 'd', now: () => wall });
    const stale = clock.tick();
    expect(parseHlc(stale)?.ms).toBe(YEAR_2099);
    wall = T0; // the wall clock is corrected
    expect(parseHlc(clock.tick())?.ms).toBe(YEAR_2099); // monotonic until told otherwise
    clock.observeServerTime(T0, MINUTE);
    expect(clock.isBeyondServerTime(stale)).toBe(true);
    const next = clock.tick();
    expect(parseHlc(next)!.ms).toBeLessThanOrEqual(T0 + MINUTE);
    // A far-future remote clock cannot drag it past server time plus the drift either.
    clock.receive(stale);
    expect(parseHlc(clock.peek())!.ms).toBeLessThanOrEqual(T0 + MINUTE);
  });

  it('after one sync its new writes lose to an honest device’s later concurrent edit', async () => {
    const world = createWorld([notes(lastWriteWins())], { maxClockDriftMs: MINUTE });
    const future = await world.device({ now: YEAR_2099 });
    const honest = await world.device({ now: T0 });
    const a = await honest.client.collection('notes').insert({ title: 'a', body: '' });
    const b = await honest.client.collection('notes').insert({ title: 'b', body: '' });
    await honest.client.sync();
    await future.client.sync();
    // One write with a 2099 clock.
    await future.client.collection('notes').update(a.id, { title: '2099' });
    await future.client.sync();
    // Ten minutes on, its wall clock is corrected and it syncs once.
    const later = T0 + 10 * MINUTE;
    future.setNow(later);
    honest.setNow(later);
    world.setServerNow(later);
    await future.client.sync();
    // Its new write, then an honest device's concurrent edit 30 s later (not having seen it).
    await future.client.collection('notes').update(b.id, { title: 'from the fixed device' });
    await future.client.sync();
    const pushed = await future.client.collection('notes').get(b.id);
    expect(pushed?.syncStatus).toBe('synced');
    world.setServerNow(later + MINUTE / 2);
    honest.setNow(later + MINUTE / 2);
    await honest.client.collection('notes').update(b.id, { title: 'honest, later' });
    await honest.client.sync();
    await future.client.sync();
    for (const device of [honest, future]) {
      const row = await device.client.collection('notes').get(b.id);
      expect(row?.title).toBe('honest, later');
    }
    await world.close();
  });
});
