// Model-based test of the outbox part of the storage port: random transactions of op writes
// (new op, changed state / record / seq / body, delete, re-insert of a deleted opId)
// interleaved with listOps and getOp calls, run against every adapter and against a reference
// model (a map of ops, listed by filtering and sorting by seq). Every read, inside the
// transaction that wrote and after commit, must equal the model's answer; a transaction that
// throws must leave storage as it was.
// Runs: TIDESYNC_PROPERTY_RUNS (default 100 per adapter); replay a failure with
// TIDESYNC_PROPERTY_SEED and TIDESYNC_PROPERTY_PATH from the printed report.
import Database from 'better-sqlite3';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ListOpsOptions, OpState, OutboxOp, StorageAdapter } from 'tidesync';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
// Imported by path until src/testing/index.ts re-exports it as `tidesync/testing`.
import { makeOp } from '../../src/testing/conformance/storage-fixtures.js';
import { propertyRuns } from '../property/property-runs.js';

const params = propertyRuns(100);
// The soak runs 10,000 scenarios per adapter: the time limit grows with the run count, so a
// loaded machine slows the run down instead of failing it.
const TIMEOUT_MS = Math.max(60_000, params.numRuns * 60);

const STATES = ['queued', 'inflight', 'dead'] as const;
const COLLECTIONS = ['todos', 'notes'] as const;
const RECORD_IDS = ['r1', 'r2', 'r3'] as const;
/** Few op ids, so writes often hit an op that exists (stored or buffered) or was deleted. */
const OP_IDS = 10;

/** Stores the op `op-<op>`: a new one, or a replacement (state, record, seq or body changed). */
interface PutStep {
  readonly kind: 'put';
  readonly op: number;
  /** Wanted seq; the next free seq at or above it is used, so seqs stay unique. */
  readonly seq: number;
  /** Keep the current seq when the op exists. */
  readonly keepSeq: boolean;
  readonly state: OpState;
  readonly collection: number;
  readonly record: number;
  readonly attempts: number;
}
type Step =
  | PutStep
  | { readonly kind: 'delete'; readonly op: number }
  | { readonly kind: 'get'; readonly op: number }
  | { readonly kind: 'list'; readonly options: ListOpsOptions };

interface Tx {
  readonly steps: readonly Step[];
  /** Throw after the steps: nothing of this transaction may stay. */
  readonly throws: boolean;
  /** listOps calls in a readonly transaction after this one. */
  readonly after: readonly ListOpsOptions[];
}

const stateArb = fc.constantFrom(...STATES);
/** Any mix of filters, plus (more often) the shapes the adapters answer a page at a time. */
const listOptionsArb: fc.Arbitrary<ListOpsOptions> = fc.oneof(
  {
    arbitrary: fc.record(
      {
        states: fc.array(stateArb, { maxLength: 3 }),
        collection: fc.constantFrom(...COLLECTIONS),
        recordId: fc.constantFrom(...RECORD_IDS),
        limit: fc.nat(6),
      },
      { requiredKeys: [] },
    ),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      states: fc.array(stateArb, { minLength: 1, maxLength: 2 }),
      limit: fc.nat(4),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ limit: fc.nat(4) }), weight: 1 },
);
const putArb: fc.Arbitrary<PutStep> = fc.record({
  kind: fc.constant('put' as const),
  op: fc.nat(OP_IDS - 1),
  seq: fc.integer({ min: 1, max: 30 }),
  keepSeq: fc.boolean(),
  state: stateArb,
  collection: fc.nat(COLLECTIONS.length - 1),
  record: fc.nat(RECORD_IDS.length - 1),
  attempts: fc.nat(3),
});
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: putArb, weight: 5 },
  {
    arbitrary: fc.record({ kind: fc.constant('delete' as const), op: fc.nat(OP_IDS - 1) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('list' as const), options: listOptionsArb }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('get' as const), op: fc.nat(OP_IDS - 1) }),
    weight: 1,
  },
);
const txArb: fc.Arbitrary<Tx> = fc.record({
  steps: fc.array(stepArb, { maxLength: 14 }),
  throws: fc.boolean(),
  after: fc.array(listOptionsArb, { maxLength: 3 }),
});
/** A first transaction of puts only fills the outbox, so later pages have something to cut. */
const scenarioArb = fc.record({
  fill: fc.array(putArb, { maxLength: 16 }),
  txs: fc.array(txArb, { minLength: 1, maxLength: 6 }),
});

/** The reference: ops by opId, listed by filtering and sorting by seq. */
function modelList(ops: ReadonlyMap<string, OutboxOp>, options: ListOpsOptions): OutboxOp[] {
  const { states, collection, recordId, limit } = options;
  const rows = [...ops.values()]
    .filter(
      (op) =>
        (states === undefined || states.includes(op.state)) &&
        (collection === undefined || op.collection === collection) &&
        (recordId === undefined || op.id === recordId),
    )
    .sort((a, b) => a.seq - b.seq);
  return limit === undefined ? rows : rows.slice(0, limit);
}

/** The op a put step writes, given the ops as the transaction sees them. */
function opOf(step: PutStep, ops: ReadonlyMap<string, OutboxOp>): OutboxOp {
  const opId = `op-${step.op}`;
  const current = ops.get(opId);
  const taken = new Set([...ops.values()].filter((op) => op.opId !== opId).map((op) => op.seq));
  let seq = step.seq;
  if (step.keepSeq && current) seq = current.seq;
  else while (taken.has(seq)) seq++;
  return makeOp({
    opId,
    seq,
    state: step.state,
    collection: COLLECTIONS[step.collection] ?? 'todos',
    id: RECORD_IDS[step.record] ?? 'r1',
    attempts: step.attempts,
  });
}

class Rollback extends Error {}

/** Runs a scenario on `adapter` and the model, checking every read against the model. */
async function expectModel(adapter: StorageAdapter, scenario: Scenario): Promise<void> {
  await adapter.open();
  try {
    let committed = new Map<string, OutboxOp>();
    const txs: Tx[] = [{ steps: scenario.fill, throws: false, after: [] }, ...scenario.txs];
    for (const [t, { steps, throws, after }] of txs.entries()) {
      const working = new Map(committed);
      const run = adapter.transaction('readwrite', async (tx) => {
        for (const [s, step] of steps.entries()) {
          if (step.kind === 'put') {
            const op = opOf(step, working);
            working.set(op.opId, op);
            await tx.putOp(op);
          } else if (step.kind === 'delete') {
            working.delete(`op-${step.op}`);
            await tx.deleteOp(`op-${step.op}`);
          } else if (step.kind === 'get') {
            expect(await tx.getOp(`op-${step.op}`), `tx ${t} step ${s} get`).toEqual(
              working.get(`op-${step.op}`),
            );
          } else {
            expect(await tx.listOps(step.options), `tx ${t} step ${s} list`).toEqual(
              modelList(working, step.options),
            );
          }
        }
        if (throws) throw new Rollback(`tx ${t} rolls back`);
      });
      if (throws) await expect(run).rejects.toBeInstanceOf(Rollback);
      else {
        await run;
        committed = working;
      }
      await adapter.transaction('readonly', async (tx) => {
        for (const options of [{}, ...after]) {
          expect(await tx.listOps(options), `after tx ${t} ${JSON.stringify(options)}`).toEqual(
            modelList(committed, options),
          );
        }
      });
    }
  } finally {
    await adapter.close();
  }
}

const adapters: ReadonlyArray<readonly [string, () => StorageAdapter]> = [
  ['memory', () => memoryAdapter()],
  [
    'sqlite (better-sqlite3, :memory:)',
    () => sqliteAdapter({ driver: betterSqlite3Driver(new Database(':memory:')) }),
  ],
  [
    'indexeddb (fake-indexeddb)',
    () => indexedDbAdapter({ name: 'outbox-model', indexedDB: new IDBFactory(), IDBKeyRange }),
  ],
  [
    'indexeddb (fake-indexeddb, no IDBKeyRange)',
    () => indexedDbAdapter({ name: 'outbox-model', indexedDB: new IDBFactory() }),
  ],
];

type Scenario = { readonly fill: readonly PutStep[]; readonly txs: readonly Tx[] };

/** A put step with defaults: a new queued op of todos/r1 at the next free seq from `seq`. */
const put = (op: number, seq: number, fields: Partial<PutStep> = {}): PutStep => ({
  ...{ kind: 'put', op, seq, keepSeq: false, state: 'queued', collection: 0, record: 0 },
  attempts: 0,
  ...fields,
});
const list = (options: ListOpsOptions): Step => ({ kind: 'list', options });
const tx = (steps: readonly Step[], after: readonly ListOpsOptions[] = []): Tx => ({
  steps,
  throws: false,
  after,
});

/** Shrunk counterexamples and the cases of the paged IndexedDB read, as plain scenarios. */
const regressions: ReadonlyArray<readonly [string, Scenario]> = [
  [
    // IndexedDB cut the read at `limit` before filtering by a recordId given without collection.
    'recordId without collection, with a limit, after commit',
    {
      fill: [put(0, 2, { record: 2 }), put(1, 1)],
      txs: [
        tx(
          [],
          [
            { recordId: 'r3', limit: 1 },
            { states: ['queued'], recordId: 'r3', limit: 1 },
          ],
        ),
      ],
    },
  ],
  [
    'recordId without collection, with a limit, inside a transaction that wrote nothing',
    {
      fill: [put(0, 2), put(1, 1, { record: 1 })],
      txs: [tx([list({ recordId: 'r1', limit: 1 })])],
    },
  ],
  [
    'an op of the page moves to another state: the page is one short',
    {
      fill: [put(1, 2), put(0, 1)],
      txs: [tx([put(0, 1, { state: 'dead' }), list({ states: ['queued'], limit: 1 })])],
    },
  ],
  [
    'an op moves into the state with a seq below the page',
    {
      fill: [put(0, 5), put(1, 6), put(2, 7), put(3, 1, { state: 'dead' })],
      txs: [tx([put(3, 1, { keepSeq: true }), list({ states: ['queued'], limit: 2 })])],
    },
  ],
  [
    'a new op with a seq below the page',
    {
      fill: [put(0, 5), put(1, 6)],
      txs: [tx([put(2, 2), list({ states: ['queued'], limit: 1 }), list({ limit: 1 })])],
    },
  ],
  [
    'a deleted op of the page, then re-inserted under the same opId with a higher seq',
    {
      fill: [put(0, 1), put(1, 2), put(2, 3)],
      txs: [
        tx([
          { kind: 'delete', op: 0 },
          list({ states: ['queued'], limit: 2 }),
          list({ limit: 2 }),
          put(0, 9, { state: 'inflight' }),
          list({ states: ['queued', 'inflight'], limit: 3 }),
        ]),
      ],
    },
  ],
  [
    'an op moves between two listed states: listed once',
    {
      fill: [put(0, 1), put(1, 2, { state: 'inflight' })],
      txs: [
        tx([put(0, 1, { state: 'inflight' }), list({ states: ['queued', 'inflight'], limit: 2 })]),
      ],
    },
  ],
  [
    'a transaction that throws after moving, adding and deleting ops leaves the outbox as it was',
    {
      fill: [put(0, 1), put(1, 2)],
      txs: [
        {
          steps: [put(0, 1, { state: 'dead' }), put(2, 1), { kind: 'delete', op: 1 }],
          throws: true,
          after: [{ states: ['queued'], limit: 1 }],
        },
      ],
    },
  ],
];

describe.each(adapters)('outbox model: %s', (_name, create) => {
  it(
    'listOps and getOp inside and after transactions equal the model; a throwing transaction leaves nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, (scenario) => expectModel(create(), scenario)),
        params,
      );
    },
    TIMEOUT_MS,
  );

  it.each(regressions)('%s', (_case, scenario) => expectModel(create(), scenario));
});
