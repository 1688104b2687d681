// Out-of-order commits on Postgres for the feed tests (S13): random waits before COMMIT and
// around each transaction's work, so transactions that took earlier feed positions commit later.
import type pg from 'pg';
import type { PostgresPool, ServerStore, ServerStoreTransaction } from 'tidesync/server';

/** A source of numbers in [0, 1): `Math.random`, or a seeded one to replay a run's choices. */
export type Random = () => number;

/** Resolves after a random 0 to `maxMs` milliseconds. */
export const pause = (maxMs: number, random: Random = Math.random): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, random() * maxMs));

/**
 * A pool whose connections wait a random 0 to `maxMs` ms before each COMMIT: the store takes
 * a batch's feed positions as the last statement before COMMIT, so this is the window in which
 * a commit landing behind a reader's cursor would lose a change.
 */
export function slowCommits(
  pool: pg.Pool,
  maxMs: number,
  random: Random = Math.random,
): PostgresPool {
  return {
    connect: async () => {
      const client = await pool.connect();
      return {
        query: async (text: string, values?: unknown[]) => {
          if (text === 'COMMIT') await pause(maxMs, random);
          return client.query(text, values);
        },
        release: (error?: Error | boolean) => client.release(error),
      };
    },
  };
}

/** Waits a random 0 to `before` ms before and 0 to `after` ms after every write transaction's work. */
export function jittery(
  inner: ServerStore,
  before: number,
  after: number,
  random: Random = Math.random,
): ServerStore {
  return {
    kind: inner.kind,
    open: () => inner.open(),
    close: () => inner.close(),
    read: (fn) => inner.read(fn),
    transaction: (fn) =>
      inner.transaction(async (tx: ServerStoreTransaction) => {
        if (before > 0) await pause(before, random);
        const result = await fn(tx);
        await pause(after, random);
        return result;
      }),
  };
}
