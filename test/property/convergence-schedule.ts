// One schedule of the S34 convergence property test (convergence.test.ts): the harness, its
// clients' storages (two memory, one SQLite file) and versions, the steps, and the checks.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import { fieldMerge, lastWriteWins, manual, type StorageAdapter } from 'tidesync';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { createTestHarness } from 'tidesync/testing';
import {
  checkDeadLetters,
  checkOracle,
  type StrategyName,
  type Tally,
} from './convergence-checks.js';
import { resolveAndCheck } from './convergence-manual.js';
import { CLIENTS, collectionsFor, type Step } from './convergence-model.js';
import { clockRegressions, type Intent } from './convergence-oracle.js';
import { initialSets, noSets, serverOrders } from './convergence-sets.js';
import { runStep, upgradeClient, type Run } from './convergence-steps.js';
import { LATEST, atLatest, type TodoVersion } from './convergence-versions.js';
import type { ScheduleProgress } from './schedule-watchdog.js';

/** The conflict strategies S34 runs under. */
export const strategies = {
  lastWriteWins: lastWriteWins(),
  fieldMerge: fieldMerge(),
  manual: manual(),
} as const;
/** Each link's starting faults: [drop request, lose response, duplicate] rates. */
export type Fault = [number, number, number];

/** One generated schedule: everything that replays it. */
export interface Schedule {
  readonly steps: readonly Step[];
  /** Seed of the network faults and of the ids. */
  readonly netSeed: number;
  /** Each device clock's offset from the server's. */
  readonly offsets: readonly number[];
  readonly faults: readonly Fault[];
  /** Each client's app (schema) version at the start. */
  readonly versions: readonly TodoVersion[];
  /**
   * Whether the clients start with a sync set each (the steps of such a schedule come from
   * `stepArb`, with set steps; the others from `plainStepArb`). @default true
   */
  readonly withSets?: boolean;
}
// The last client keeps its data in a SQLite file (restart: a new connection to the file), in
// RAM where Linux offers it: a process crash is the same on any medium, and disk I/O would double
// the run time. Each schedule's file is removed when it ends.
const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tidesync-s34-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Each client's storage, and how to reopen it; `current[i]` is the one its client uses. */
function clientStorages() {
  const current: StorageAdapter[] = [];
  const file = join(dir, `client-${(files += 1)}.db`);
  const remove = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  };
  const reopen = Array.from({ length: CLIENTS }, (_, i) => {
    if (i === CLIENTS - 1) {
      return () =>
        (current[i] = sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) }));
    }
    const store = createMemoryStore();
    return () => (current[i] = memoryAdapter({ store }));
  });
  return { current, reopen, remove };
}

/**
 * Runs one schedule and checks it (see convergence.test.ts); with `digest`, resolves with the
 * digest of each user's converged data (ids included) and the orders the server holds (a
 * `sync: 'sets'` collection is not in the feed the digest reads), so a replay can be compared
 * with the run.
 */
export async function checkSchedule(
  name: StrategyName,
  schedule: Schedule,
  tally: Tally,
  progress: ScheduleProgress,
  options: { readonly digest?: boolean } = {},
): Promise<string | undefined> {
  const { steps, netSeed, offsets, faults, versions: startVersions } = schedule;
  const collections = collectionsFor(strategies[name]);
  const storages = clientStorages();
  const sets = schedule.withSets === false ? noSets(CLIENTS) : initialSets(CLIENTS);
  const h = await createTestHarness({
    collections: collections.client,
    server: { collections: collections.server },
    clients: storages.reopen.map((reopen, i) => ({
      reopen,
      batchSize: 4,
      clockOffsetMs: offsets[i] ?? 0,
      collections: collections.clientAt(startVersions[i] ?? LATEST),
      sets: sets[i]!.map((where) => ({ collection: 'orders', where })),
    })),
    network: { seed: netSeed },
    // The ids replay with the schedule too.
    idSeed: netSeed,
  });
  const intents: Intent[] = [];
  for (const [i, f] of faults.entries()) {
    h.networks[i]?.setFaults({
      dropRequestRate: f[0],
      dropResponseRate: f[1],
      duplicateRate: f[2],
    });
  }
  const run: Run = {
    h,
    storages: storages.current,
    intents,
    offsets: [...offsets],
    versions: [...startVersions],
    clientAt: collections.clientAt,
    sets,
    tally,
  };
  try {
    for (const [k, step] of steps.entries()) {
      progress.at = `step ${k} ${JSON.stringify(step)}`;
      await runStep(run, step);
    }
    const regressions = clockRegressions(intents);
    if (regressions.length > 0) throw new Error(`Clocks went back:\n  ${regressions.join('\n  ')}`);
    tally.acks += intents.length;
    for (const net of h.networks) {
      tally.lostResponses += net.stats.droppedResponses;
      tally.duplicates += net.stats.duplicated;
      tally.serverErrors += net.stats.serverErrors;
      tally.rateLimited += net.stats.rateLimited;
    }
    // Every app updates to the latest version (the checks compare it with the server), and the
    // oracle moves the test's writes there as the server's upcasts do.
    progress.at = 'the app updates to the latest version';
    for (const [i, version] of run.versions.entries()) {
      if (version < LATEST) await upgradeClient(run, i, LATEST);
    }
    intents.splice(0, intents.length, ...intents.map(atLatest));
    h.heal();
    progress.at = 'the settle after the heal';
    await h.settle({ maxRounds: 30 });
    progress.at = 'the resolutions and checks';
    if (name === 'manual') await resolveAndCheck(h, collections.client, intents, tally);
    await checkDeadLetters(h, name, collections.client, intents, tally);
    if (name !== 'manual') await checkOracle(h, name, collections.client, intents, sets, tally);
    for (const storage of storages.current) {
      const appliedSeq = await storage.transaction('readonly', (tx) =>
        tx.getMeta<number>('pull.appliedSeq'),
      );
      if (appliedSeq !== undefined && appliedSeq > 0)
        tally.echoClients = (tally.echoClients ?? 0) + 1;
    }
    if (!options.digest) return undefined;
    const orders = [...(await serverOrders(h))].sort(([a], [b]) => (a < b ? -1 : 1));
    return JSON.stringify([...(await h.assertConverged()), ...orders]);
  } finally {
    await h.close();
    storages.remove();
  }
}
