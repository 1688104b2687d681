import { describe, expect, it } from 'vitest';
import { HybridLogicalClock, compareHlc, parseHlc } from 'tidesync';

describe('HybridLogicalClock', () => {
  it('issues strictly increasing timestamps when the wall clock stands still', () => {
    const clock = new HybridLogicalClock({ nodeId: 'a', now: () => 1000 });
    const stamps = Array.from({ length: 50 }, () => clock.tick());
    for (let i = 1; i < stamps.length; i++)
      expect(compareHlc(stamps[i - 1]!, stamps[i]!)).toBeLessThan(0);
  });

  it('never goes back when the wall clock jumps backwards', () => {
    let wall = 10_000;
    const clock = new HybridLogicalClock({ nodeId: 'a', now: () => wall });
    const before = clock.tick();
    wall = 5_000;
    const after = clock.tick();
    expect(compareHlc(before, after)).toBeLessThan(0);
    expect(parseHlc(after)?.ms).toBe(10_000);
  });

  it('stays monotonic across a restart from the persisted last timestamp', () => {
    const first = new HybridLogicalClock({ nodeId: 'a', now: () => 50_000 });
    const last = first.tick();
    const restarted = new HybridLogicalClock({ nodeId: 'a', now: () => 1_000, last });
    expect(compareHlc(last, restarted.tick())).toBeLessThan(0);
  });

  it('orders a local event after a received remote timestamp', () => {
    const a = new HybridLogicalClock({ nodeId: 'a', now: () => 1_000 });
    const b = new HybridLogicalClock({ nodeId: 'b', now: () => 9_000 });
    const remote = b.tick();
    a.receive(remote);
    expect(compareHlc(remote, a.tick())).toBeLessThan(0);
  });

  it('clamps a far-future remote timestamp to wall time plus maxDriftMs', () => {
    const a = new HybridLogicalClock({ nodeId: 'a', now: () => 1_000, maxDriftMs: 500 });
    const forged = new HybridLogicalClock({ nodeId: 'z', now: () => 4_102_444_800_000 }).tick();
    a.receive(forged);
    expect(parseHlc(a.tick())!.ms).toBeLessThanOrEqual(1_500);
  });

  it('breaks ties between equal wall times by node id', () => {
    const a = new HybridLogicalClock({ nodeId: 'a', now: () => 1 }).tick();
    const b = new HybridLogicalClock({ nodeId: 'b', now: () => 1 }).tick();
    expect(compareHlc(a, b)).toBeLessThan(0);
  });
});
