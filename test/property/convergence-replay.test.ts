// A red S34 schedule must replay exactly from what the run prints: the network seed, which also
// seeds the harness's ids (createTestHarness({ idSeed })), the steps and the starting versions.
// Two runs of one schedule end with the same data, ids included, in every strategy (the
// schedule has sync sets: the orders moved between regions, the sets added and removed).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StrategyName, Tally } from './convergence-checks.js';
import { CLIENTS, stepArb } from './convergence-model.js';
import { checkSchedule, type Schedule } from './convergence-schedule.js';

const tally = (): Tally => ({
  acks: 0,
  lostResponses: 0,
  duplicates: 0,
  restarts: 0,
  serverRestarts: 0,
  serverErrors: 0,
  rateLimited: 0,
  clockJumps: 0,
  upgrades: 0,
  deadLetters: 0,
  checkedRecords: 0,
  checkedConflicts: 0,
  checkedResolutions: 0,
  poisonedRecords: 0,
  restoredRecords: 0,
  setChanges: 0,
  coveredRecords: 0,
  uncoveredRecords: 0,
});

// A fixed schedule with writes on every client, on mixed versions, with faults on the links.
const schedule: Schedule = {
  steps: fc.sample(fc.array(stepArb, { minLength: 40, maxLength: 40 }), {
    seed: 2024,
    numRuns: 1,
  })[0]!,
  netSeed: 977,
  offsets: Array.from({ length: CLIENTS }, (_, i) => i * 250),
  faults: Array.from({ length: CLIENTS }, () => [0.1, 0.1, 0.1] as [number, number, number]),
  versions: [1, 2, 3],
};

describe.each(['lastWriteWins', 'fieldMerge', 'manual'] as StrategyName[])(
  'an S34 schedule under %s',
  (name) => {
    it('replays exactly: the same data with the same ids, twice', async () => {
      const progress = { at: 'start' };
      const first = await checkSchedule(name, schedule, tally(), progress, { digest: true });
      const second = await checkSchedule(name, schedule, tally(), progress, { digest: true });
      expect(second).toBe(first);
      // The user's digest, then the orders (a sync-set collection) the server holds.
      expect(first).toMatch(/^\[\["user-1","[0-9a-f]+"\],\["orders\//);
    });
  },
);
