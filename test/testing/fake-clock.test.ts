import { describe, expect, it } from 'vitest';
import { createFakeClock } from 'tidesync/testing';

describe('createFakeClock', () => {
  it('starts at the given time and only moves when told', async () => {
    const clock = createFakeClock({ start: 1000 });
    expect(clock.now()).toBe(1000);
    await clock.advance(250);
    expect(clock.now()).toBe(1250);
  });

  it('fires due timers in due order, with now() at each due time, and skips cleared ones', async () => {
    const clock = createFakeClock({ start: 0 });
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 20);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
    const c = clock.setTimeout(() => fired.push(['c', clock.now()]), 15);
    clock.setTimeout(() => fired.push(['late', clock.now()]), 100);
    clock.clearTimeout(c);
    await clock.advance(50);
    expect(fired).toEqual([
      ['a', 10],
      ['b', 20],
    ]);
    expect(clock.now()).toBe(50);
    expect(clock.pendingTimers).toBe(1);
  });

  it('runs promise callbacks between timers, so a timer scheduled from an async chain fires too', async () => {
    const clock = createFakeClock({ start: 0 });
    const seen: number[] = [];
    const wait = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
    void (async () => {
      await wait(10);
      seen.push(clock.now());
      await wait(10);
      seen.push(clock.now());
    })();
    await clock.advance(25);
    expect(seen).toEqual([10, 20]);
  });

  it('next() jumps to the earliest timer; runAll() drains and stops a runaway loop', async () => {
    const clock = createFakeClock({ start: 0 });
    expect(await clock.next()).toBe(false);
    clock.setTimeout(() => undefined, 500);
    expect(await clock.next()).toBe(true);
    expect(clock.now()).toBe(500);
    let n = 0;
    const again = () => {
      n += 1;
      if (n < 5) clock.setTimeout(again, 1);
    };
    clock.setTimeout(again, 1);
    expect(await clock.runAll()).toBe(5);
    const forever = () => void clock.setTimeout(forever, 1);
    forever();
    await expect(clock.runAll(50)).rejects.toMatchObject({ code: 'SYNC_STUCK' });
  });

  it('refuses a negative advance with INVALID_OPTION', async () => {
    const clock = createFakeClock();
    await expect(clock.advance(-1)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(() => createFakeClock({ start: Number.NaN })).toThrow(/start/);
  });
});
