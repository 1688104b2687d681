import { afterEach, describe, expect, it, vi } from 'vitest';
import { createId } from 'tidesync';

describe('createId', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('makes 21 url-safe characters, all distinct over many calls', () => {
    const ids = Array.from({ length: 10_000 }, () => createId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sorts ids made in later milliseconds after earlier ones, even if the clock goes back', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2030, 0, 1));
    const first = createId();
    vi.setSystemTime(Date.UTC(2030, 0, 1) + 1);
    const second = createId();
    vi.setSystemTime(Date.UTC(2031, 5, 1));
    const third = createId();
    vi.setSystemTime(Date.UTC(2029, 0, 1)); // the wall clock jumps back a year
    const fourth = createId();
    expect([first, second, third].sort()).toEqual([first, second, third]);
    expect(fourth.slice(0, 7)).toBe(third.slice(0, 7));
  });
});
