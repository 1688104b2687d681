// The conflict laws end to end: 3 devices edit one record concurrently (random fields, or a
// delete), then push in a delivery order sampled per run (each of the 6 orders of 3 devices
// occurs over the runs, checked) through the real server and clients. Every
// replica must end with the state the strategy's documented rule gives for those edits, the
// same as the pure-function test computes: the same answer on the server and every client.
// Runs: TIDESYNC_PROPERTY_E2E_RUNS (default 100 per strategy); replay with
// TIDESYNC_PROPERTY_SEED and TIDESYNC_PROPERTY_PATH from the printed report.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ConflictStrategy, RecordData } from 'tidesync';
import { defineCollection, fieldMerge, lastWriteWins } from 'tidesync';
import { T0, createWorld, hlcAt, type Device } from '../conflict/conflict-helpers.js';
import { PROPERTY_SEED, propertyRuns } from './property-runs.js';

const PARAMS = propertyRuns(100, 'TIDESYNC_PROPERTY_E2E_RUNS');
const RUNS = PARAMS.numRuns;
const SEED = PROPERTY_SEED;

const FIELDS = ['a', 'b', 'c'] as const;
const BASE = { a: 0, b: 0, c: 0 };

interface Edit {
  /** Wall ms after T0 when the device writes (few values: equal ms break ties by client id). */
  readonly ms: number;
  /** `null` for a delete. */
  readonly patch: RecordData | null;
}

const editArb: fc.Arbitrary<Edit> = fc.record({
  ms: fc.integer({ min: 1, max: 3 }),
  patch: fc.option(
    fc
      .subarray([...FIELDS], { minLength: 1 })
      .chain((fields) =>
        fc
          .tuple(...fields.map(() => fc.integer({ min: 1, max: 9 })))
          .map((values) => Object.fromEntries(fields.map((f, i) => [f, values[i]]))),
      ),
    { freq: 2 },
  ),
});

const orders = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
] as const;

type Stamped = Edit & { readonly hlc: string };

/** The documented outcome, written independently of the strategy code. */
const expected: Record<'lastWriteWins' | 'fieldMerge', (edits: Stamped[]) => RecordData | null> = {
  lastWriteWins(edits) {
    const last = [...edits].sort((x, y) => (x.hlc < y.hlc ? -1 : 1)).at(-1)!;
    return last.patch ? { ...BASE, ...last.patch } : null;
  },
  fieldMerge(edits) {
    if (edits.some((e) => e.patch === null)) return null;
    const out: RecordData = { ...BASE };
    for (const f of FIELDS) {
      const last = edits
        .filter((e) => e.patch && Object.hasOwn(e.patch, f))
        .sort((x, y) => (x.hlc < y.hlc ? -1 : 1))
        .at(-1);
      if (last?.patch) out[f] = last.patch[f];
    }
    return out;
  },
};

async function check(
  name: 'lastWriteWins' | 'fieldMerge',
  strategy: ConflictStrategy,
  edits: readonly Edit[],
  order: readonly number[],
): Promise<void> {
  const collection = defineCollection({
    name: 'notes',
    schema: z.object({ a: z.number(), b: z.number(), c: z.number() }),
    conflict: strategy,
  });
  const world = createWorld([collection]);
  try {
    const devices: Device[] = [];
    for (let i = 0; i < 3; i += 1) devices.push(await world.device());
    await devices[0]!.client.collection('notes').insert(BASE);
    for (const d of devices) await d.client.sync();
    const stamped: Stamped[] = [];
    for (const [i, d] of devices.entries()) {
      const edit = edits[i]!;
      d.setNow(T0 + edit.ms);
      const notes = d.client.collection('notes');
      const [row] = await notes.find();
      if (edit.patch) await notes.update(row!.id, edit.patch);
      else await notes.delete(row!.id);
      stamped.push({ ...edit, hlc: hlcAt(T0 + edit.ms, 0, d.client.clientId) });
    }
    for (const i of order) await devices[i]!.client.sync();
    for (let round = 0; round < 2; round += 1) {
      for (const d of devices) await d.client.sync();
    }
    const want = expected[name](stamped);
    for (const d of devices) {
      const rows = await d.client.collection('notes').find();
      expect(rows.map(({ a, b, c }) => ({ a, b, c }))).toEqual(want === null ? [] : [want]);
      expect(d.client.status.pendingOps).toBe(0);
    }
  } finally {
    await world.close();
  }
}

describe.each([
  ['lastWriteWins', lastWriteWins()],
  ['fieldMerge', fieldMerge()],
] as const)('%s through server and clients', (name, strategy) => {
  it(`converges to the documented state in a sampled delivery order per run (${RUNS} runs, every one of the 6 orders among them)`, async () => {
    let runs = 0;
    const sampled = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(editArb, editArb, editArb),
        fc.constantFrom(...orders),
        async (edits, order) => {
          runs += 1;
          sampled.add(order.join(''));
          await check(name, strategy, edits, order);
        },
      ),
      PARAMS,
    );
    expect(runs).toBeGreaterThanOrEqual(SEED ? 1 : RUNS);
    // Each run pushes in one order; over the runs, every order of the three devices occurred.
    expect(SEED || RUNS < 50 ? orders.length : sampled.size).toBe(orders.length);
  });
});

describe('fixed examples', () => {
  it('lastWriteWins: a later delete of an already deleted record still beats an edit between the two deletes', async () => {
    const edits = [
      { ms: 1, patch: null },
      { ms: 3, patch: null },
      { ms: 2, patch: { a: 5 } },
    ];
    await expect(
      check('lastWriteWins', lastWriteWins(), edits, [0, 1, 2]),
    ).resolves.toBeUndefined();
  });

  it('fieldMerge: fields edited on three devices all survive, the later clock per field', async () => {
    const edits = [
      { ms: 1, patch: { a: 1, b: 1 } },
      { ms: 3, patch: { b: 3 } },
      { ms: 2, patch: { b: 2, c: 2 } },
    ];
    await expect(check('fieldMerge', fieldMerge(), edits, [1, 2, 0])).resolves.toBeUndefined();
  });
});
