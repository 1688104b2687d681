import { describe, expect, it } from 'vitest';
import type { ConflictStrategy } from 'tidesync';
import { HybridLogicalClock, fieldMerge, lastWriteWins, parseHlc } from 'tidesync';
import { T0, createWorld, notes } from './conflict-helpers.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('a device whose wall clock is 1 hour ahead (S17)', () => {
  it('hybrid logical clock: once the correct device has seen the skewed clock, its next event sorts after it', () => {
    const skewed = new HybridLogicalClock({ nodeId: 'skewed', now: () => T0 + HOUR });
    let wall = T0;
    const correct = new HybridLogicalClock({ nodeId: 'correct', now: () => wall });
    const fromSkewed = skewed.tick();
    // A concurrent event of the correct device (it has not seen the skewed one) sorts before it:
    expect(correct.tick() < fromSkewed).toBe(true);
    correct.receive(fromSkewed);
    wall = T0 + 2 * MINUTE;
    const later = correct.tick();
    expect(later > fromSkewed).toBe(true);
    // It carries the skewed wall time plus a logical step, not its own (earlier) wall time.
    expect(parseHlc(later)).toMatchObject({ ms: T0 + HOUR, node: 'correct' });
    expect(parseHlc(later)!.counter).toBeGreaterThan(0);
    // Control: last-write-wins on bare wall clocks compares the devices' own readings and picks
    // the skewed write over the correct device's causally later one.
    const lastByWall = [
      { who: 'skewed', stamp: T0 + HOUR },
      { who: 'correct', stamp: wall },
    ].sort((x, y) => x.stamp - y.stamp);
    const lastByHlc = [
      { who: 'skewed', stamp: fromSkewed },
      { who: 'correct', stamp: later },
    ].sort((x, y) => (x.stamp < y.stamp ? -1 : 1));
    expect(lastByWall.at(-1)!.who).toBe('skewed');
    expect(lastByHlc.at(-1)!.who).toBe('correct');
  });

  it.each<[string, ConflictStrategy]>([
    ['lastWriteWins', lastWriteWins()],
    ['fieldMerge', fieldMerge()],
  ])('%s: the correct device’s causally later edit wins on every replica', async (_, strategy) => {
    const world = createWorld([notes(strategy)]);
    const skewed = await world.device({ now: T0 + HOUR });
    const correct = await world.device({ now: T0 });
    const n = await skewed.client.collection('notes').insert({ title: 'first', body: 'b' });
    await skewed.client.sync();
    await correct.client.sync();
    await skewed.client.collection('notes').update(n.id, { title: 'skewed' });
    await skewed.client.sync();
    // The correct device pulls the skewed edit, then edits the same field a minute later.
    correct.setNow(T0 + MINUTE);
    await correct.client.sync();
    const [row] = await correct.client.collection('notes').find();
    expect(row).toMatchObject({ title: 'skewed' });
    correct.setNow(T0 + 2 * MINUTE);
    await correct.client.collection('notes').update(row!.id, { title: 'correct' });
    await correct.client.sync();
    await skewed.client.sync();
    const expected = { title: 'correct', body: 'b', syncStatus: 'synced' };
    expect(await correct.client.collection('notes').find()).toMatchObject([expected]);
    expect(await skewed.client.collection('notes').find()).toMatchObject([expected]);
    await world.close();
  });
});

describe('a far-future clock (S18)', () => {
  it('is clamped by the server, so an honest device’s concurrent edit made after the clamp point wins', async () => {
    const drift = MINUTE;
    const world = createWorld([notes(lastWriteWins())], { maxClockDriftMs: drift });
    const future = await world.device({ now: Date.UTC(2099, 0, 1) });
    const honest = await world.device({ now: T0 });
    const n = await honest.client.collection('notes').insert({ title: 'first', body: 'b' });
    await honest.client.sync();
    await future.client.sync();
    const [row] = await future.client.collection('notes').find();
    await future.client.collection('notes').update(row!.id, { title: '2099' });
    await future.client.sync();
    // The honest device has not pulled the 2099 edit; it writes two minutes later (server time).
    honest.setNow(T0 + 2 * MINUTE);
    world.setServerNow(T0 + 2 * MINUTE);
    await honest.client.collection('notes').update(n.id, { title: 'honest' });
    await honest.client.sync();
    await future.client.sync();
    for (const d of [honest, future]) {
      expect(await d.client.collection('notes').find()).toMatchObject([{ title: 'honest' }]);
    }
    await world.close();
  });

  it('control: without the clamp (a one-year drift allowed) the 2099 device wins every concurrent edit', async () => {
    const world = createWorld([notes(lastWriteWins())], { maxClockDriftMs: 365 * 24 * HOUR });
    const future = await world.device({ now: Date.UTC(2099, 0, 1) });
    const honest = await world.device({ now: T0 });
    const n = await honest.client.collection('notes').insert({ title: 'first', body: 'b' });
    await honest.client.sync();
    await future.client.sync();
    const [row] = await future.client.collection('notes').find();
    await future.client.collection('notes').update(row!.id, { title: '2099' });
    await future.client.sync();
    honest.setNow(T0 + 2 * MINUTE);
    world.setServerNow(T0 + 2 * MINUTE);
    await honest.client.collection('notes').update(n.id, { title: 'honest' });
    await honest.client.sync();
    expect(await honest.client.collection('notes').find()).toMatchObject([{ title: '2099' }]);
    await world.close();
  });
});
