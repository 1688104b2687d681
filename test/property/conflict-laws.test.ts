// Laws of the deterministic conflict strategies, tested on the pure functions: random
// concurrent edits from 3 replicas (updates of random fields, deletes), folded in every order of
// delivery, with replays, converge to one state. This is how the server applies them: each
// concurrent op is resolved against the stored version.
// Runs: TIDESYNC_PROPERTY_RUNS (default 500 per strategy); replay a failure with
// TIDESYNC_PROPERTY_SEED and TIDESYNC_PROPERTY_PATH from the printed report.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConflictStrategy, RecordData, VersionState } from 'tidesync';
import { fieldMerge, lastWriteWins } from 'tidesync';
import { T0, hlcAt } from '../conflict/conflict-helpers.js';
import { propertyRuns } from './property-runs.js';

const params = propertyRuns(500);

const FIELDS = ['a', 'b', 'c'] as const;
const BASE_HLC = hlcAt(T0, 0, 'base');
const BASE: VersionState = {
  data: { a: 0, b: 0, c: 0 },
  hlc: BASE_HLC,
  fieldClocks: { a: BASE_HLC, b: BASE_HLC, c: BASE_HLC },
};

/** One replica's change to the base version. */
interface Edit {
  readonly hlc: string;
  /** `null` for a delete. */
  readonly patch: RecordData | null;
}

/** Few distinct wall times, so equal ms (tie by counter, then node) are common. */
const editArb = (node: string): fc.Arbitrary<Edit> =>
  fc
    .record({
      ms: fc.integer({ min: 1, max: 3 }),
      counter: fc.integer({ min: 0, max: 2 }),
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
    })
    .map(({ ms, counter, patch }) => ({
      hlc: hlcAt(T0 + ms, counter, node),
      patch,
    }));

const editsArb = fc.tuple(editArb('r0'), editArb('r1'), editArb('r2'));

/** Applies `edit` to the stored `state` with `strategy`, as the server does for a concurrent op. */
function deliver(strategy: ConflictStrategy, state: VersionState, edit: Edit): VersionState {
  const changed = edit.patch ? Object.keys(edit.patch) : [];
  const outcome = strategy.resolve({
    collection: 'notes',
    id: 'x',
    local: {
      // The replica's whole view after its change (what lastWriteWins keeps when it wins).
      data: edit.patch ? { ...BASE.data, ...edit.patch } : null,
      hlc: edit.hlc,
      fieldClocks: Object.fromEntries(changed.map((f) => [f, edit.hlc])),
      changedFields: changed,
    },
    remote: state,
  });
  if (outcome.kind !== 'merged') throw new Error('a deterministic strategy answered manual');
  return { data: outcome.data, hlc: outcome.hlc, fieldClocks: outcome.fieldClocks };
}

const fold = (strategy: ConflictStrategy, order: readonly Edit[]) =>
  order.reduce((state, edit) => deliver(strategy, state, edit), BASE);

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** What the docs promise, written independently of the strategy code. */
const reference: Record<
  'lastWriteWins' | 'fieldMerge',
  (edits: readonly Edit[]) => RecordData | null
> = {
  lastWriteWins(edits) {
    const last = [...edits].sort((x, y) => (x.hlc < y.hlc ? -1 : 1)).at(-1)!;
    return last.patch ? { ...BASE.data, ...last.patch } : null;
  },
  fieldMerge(edits) {
    if (edits.some((e) => e.patch === null)) return null;
    const out: RecordData = { ...BASE.data };
    for (const f of FIELDS) {
      const writers = edits.filter((e) => e.patch && Object.hasOwn(e.patch, f));
      const last = writers.sort((x, y) => (x.hlc < y.hlc ? -1 : 1)).at(-1);
      if (last?.patch) out[f] = last.patch[f];
    }
    return out;
  },
};

/** A deep copy with every object's keys in reverse order, frozen: equal, but not the same. */
function reordered<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).reverse();
  return Object.freeze(Object.fromEntries(entries.map(([k, v]) => [k, reordered(v)]))) as T;
}

describe.each([
  ['lastWriteWins', lastWriteWins],
  ['fieldMerge', fieldMerge],
] as const)('%s laws', (name, create) => {
  const strategy = create();

  it('is deterministic: equal inputs give equal outcomes, whatever the instance, call history or key order, and inputs are left unchanged', () => {
    fc.assert(
      fc.property(editsArb, ([e0, e1, e2]) => {
        const state = reordered(deliver(strategy, BASE, e0));
        const edit = reordered(e1);
        const first = deliver(strategy, state, edit);
        // Other resolutions in between, then the same input again, as separate equal objects,
        // on a fresh instance: a strategy with hidden state or one that changes (frozen)
        // inputs gives another answer or throws.
        deliver(strategy, first, e2);
        deliver(strategy, BASE, e2);
        const fresh = create();
        expect(deliver(fresh, structuredClone(state), structuredClone(edit))).toEqual(first);
        expect(deliver(strategy, reordered(state), reordered(edit))).toEqual(first);
      }),
      params,
    );
  });

  it('converges: every delivery order of 3 replicas’ edits gives one state, the documented one', () => {
    fc.assert(
      fc.property(editsArb, (edits) => {
        const results = permutations(edits).map((order) => fold(strategy, order));
        for (const r of results) expect(r).toEqual(results[0]);
        expect(results[0]!.data).toEqual(reference[name](edits));
      }),
      params,
    );
  });

  it('is idempotent on replay: delivering an edit again changes nothing', () => {
    fc.assert(
      fc.property(
        editsArb,
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 3 }),
        (edits, orderIndex, replayed, at) => {
          const order = permutations(edits)[orderIndex]!;
          const withReplay = [...order];
          // A replay arrives after its first delivery (duplicates, retries).
          const first = withReplay.indexOf(edits[replayed]!);
          withReplay.splice(
            Math.max(first + 1, Math.min(at, withReplay.length)),
            0,
            edits[replayed]!,
          );
          expect(fold(strategy, withReplay)).toEqual(fold(strategy, order));
        },
      ),
      params,
    );
  });
});
