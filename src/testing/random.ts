/**
 * A small seedable pseudo-random source (mulberry32), so a simulated run replays exactly from
 * its seed. Not for anything security-related.
 */
export interface SeededRandom {
  /** The seed this source started from; print it to replay a failing run. */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** True with probability `rate` (0 never, 1 always). */
  chance(rate: number): boolean;
}

/** A fresh seed from the platform's random source (a 32-bit unsigned integer). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
}

/**
 * Creates a seeded random source.
 *
 * @param seed - any integer; the same seed always yields the same sequence. @default a random seed
 */
export function seededRandom(seed: number = randomSeed()): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
  return {
    seed: seed >>> 0,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (rate) => rate > 0 && next() < rate,
  };
}
