// The end-of-schedule checks of the S34 convergence property test (convergence.test.ts): dead
// letters of poison ops, and the oracle over the test's writes (convergence-oracle.ts).
import { expect } from 'vitest';
import type { CollectionDefinition, OutboxOp, RecordData } from 'tidesync';
import type { TestHarness } from 'tidesync/testing';
import { isPoison, visible } from './convergence-model.js';
import {
  deadLetterProblems,
  expectedState,
  poisoned,
  sameData,
  serverState,
  type Intent,
} from './convergence-oracle.js';
import { resolveAndCheck } from './convergence-manual.js';
import { outsideSets, type OrderSet } from './convergence-sets.js';

/** The strategies the property runs under. */
export type StrategyName = 'lastWriteWins' | 'fieldMerge' | 'manual';

/** What the schedules of one strategy did, reported after the run. */
export type Tally = {
  acks: number;
  lostResponses: number;
  duplicates: number;
  restarts: number;
  serverRestarts: number;
  serverErrors: number;
  rateLimited: number;
  clockJumps: number;
  /** App updates to a newer schema version (a restart with a local upgrade). */
  upgrades: number;
  deadLetters: number;
  checkedRecords: number;
  /** manual(): open conflicts whose two versions were checked, and resolutions checked. */
  checkedConflicts: number;
  checkedResolutions: number;
  poisonedRecords: number;
  restoredRecords: number;
  /** Sync sets added or removed (each change checked at once). */
  setChanges: number;
  /** Orders checked on a replica whose sets cover them, and ones checked absent (no set covers them). */
  coveredRecords: number;
  uncoveredRecords: number;
  /**
   * Clients that ended a schedule pulling with `appliedSeq` above 0 (issue 17: their own echoes
   * were left out while the checks above passed).
   */
  echoClients?: number;
};

/**
 * Each dead-lettered record as its client shows it (`client i collection/id` to its data and
 * sync status, `undefined` when the client shows no such record).
 */
async function deadLetteredRecords(
  h: TestHarness,
  letters: readonly (readonly OutboxOp[])[],
): Promise<Map<string, (RecordData & { syncStatus: string }) | undefined>> {
  const out = new Map<string, (RecordData & { syncStatus: string }) | undefined>();
  for (const [i, ops] of letters.entries()) {
    for (const op of ops) {
      const row = await h.clients[i]!.collection(op.collection).get(op.id);
      const key = `client ${i} ${op.collection}/${op.serverId ?? op.id}`;
      if (!row) {
        out.set(key, undefined);
        continue;
      }
      const { id: _i, serverId: _v, updatedAt: _u, ...rest } = row;
      out.set(key, rest as RecordData & { syncStatus: string });
    }
  }
  return out;
}

/**
 * Poison ops (S21): the outbox drained past them, each one is a dead letter on its client, on a
 * record a poison title was written to, and a record shown as synced next to one equals the
 * server's version (restored). The app then discards them; the replicas must converge.
 */
export async function checkDeadLetters(
  h: TestHarness,
  name: StrategyName,
  collections: readonly CollectionDefinition[],
  intents: Intent[],
  tally: Tally,
): Promise<void> {
  for (const [i, c] of h.clients.entries()) {
    const stuck = await c.pendingOps();
    if (stuck.length > 0) {
      throw new Error(
        `client ${i}: ${stuck.length} ops still pending after settling: ${stuck.map((op) => `${op.type} ${op.collection}/${op.id}`).join(', ')}`,
      );
    }
  }
  const letters = await Promise.all(h.clients.map((c) => c.deadLetters()));
  const wrong = deadLetterProblems(intents, letters);
  if (wrong.length > 0) throw new Error(`Dead letters:\n  ${wrong.join('\n  ')}`);
  tally.deadLetters += letters.flat().length;
  const flagged = await deadLetteredRecords(h, letters);
  for (const [i, ops] of letters.entries()) {
    for (const op of ops) await h.clients[i]!.discardDeadLetter(op.opId);
  }
  await h.settle({ maxRounds: 30 });
  if (name === 'manual') await resolveAndCheck(h, collections, intents, tally);
  await h.assertConverged();
  // The server did not change since the dead letters were listed: a record shown as synced
  // next to a dead letter had been restored to the server's version (S21: restored or flagged).
  const server = await serverState(h, collections);
  for (const [where, row] of flagged) {
    if (row === undefined || row.syncStatus !== 'synced') continue;
    tally.restoredRecords += 1;
    const { syncStatus: _s, ...data } = row;
    const key = where.slice(where.lastIndexOf(' ') + 1);
    try {
      expect(data).toEqual(server.get(key));
    } catch {
      throw new Error(
        `${where}: synced with a dead letter but differs from the server: ${JSON.stringify(data)} vs ${JSON.stringify(server.get(key))}`,
      );
    }
  }
}

/** How `actual` (the server's or a replica's records) differs from what the oracle expects. */
function differences(
  expected: ReadonlyMap<string, RecordData | null>,
  actual: ReadonlyMap<string, RecordData>,
  skip: ReadonlySet<string>,
  outside: ReadonlySet<string> = new Set(),
): string[] {
  const problems: string[] = [];
  for (const [key, want] of expected) {
    if (skip.has(key)) continue;
    const got = actual.get(key);
    if (outside.has(key)) {
      if (got)
        problems.push(
          `${key}: present ${JSON.stringify(got)}, but none of its sync sets covers it`,
        );
      continue;
    }
    if (want === null && got)
      problems.push(`${key}: present ${JSON.stringify(got)}, expected deleted`);
    if (want !== null && !got) problems.push(`${key}: lost, expected ${JSON.stringify(want)}`);
    if (want && got && !sameData(got, want)) {
      problems.push(`${key}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
  }
  for (const key of actual.keys())
    if (!expected.has(key)) problems.push(`${key}: present but never written`);
  return problems;
}

/**
 * The oracle (not for `manual`): the server, and then every replica, holds what the strategy
 * says the test's writes resolve to, per record no poison touched; of `orders`, a replica holds
 * exactly those its sync sets (`sets[i]`, as the test declared them) cover.
 */
export async function checkOracle(
  h: TestHarness,
  name: Exclude<StrategyName, 'manual'>,
  collections: readonly CollectionDefinition[],
  intents: readonly Intent[],
  sets: readonly (readonly OrderSet[])[],
  tally: Tally,
): Promise<void> {
  const tainted = poisoned(intents);
  const expected = expectedState(name, intents);
  const server = await serverState(h, collections);
  for (const key of tainted) {
    const got = server.get(key);
    if (got && isPoison(got)) throw new Error(`${key}: the server holds a poison title`);
  }
  tally.poisonedRecords += tainted.size;
  tally.checkedRecords += [...expected.keys()].filter((k) => !tainted.has(k)).length;
  const problems = differences(expected, server, tainted).map((p) => `server: ${p}`);
  for (const [i, c] of h.clients.entries()) {
    const replica = await visible(
      c,
      collections.map((d) => d.name),
    );
    const outside = outsideSets(expected, sets[i] ?? []);
    const orders = [...expected].filter(([k, v]) => k.startsWith('orders/') && v !== null);
    tally.uncoveredRecords += outside.size;
    tally.coveredRecords += orders.length - outside.size;
    problems.push(
      ...differences(expected, replica, tainted, outside).map((p) => `client ${i}: ${p}`),
    );
  }
  if (problems.length > 0) {
    throw new Error(
      `The test's writes resolved wrongly under ${name} (network seed ${h.seed}):\n  ${problems.join('\n  ')}`,
    );
  }
}
