// Issue 19 across instances: a stream on instance B that declared its sets is poked for a
// change committed on instance A only when the record matched one of them before or after
// (the NOTIFY carries the changed set records' indexed values).
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresServerStore } from 'tidesync/server';
import { postgresUrl, uniqueSchema } from '../server/postgres-fixture.js';
import type { RunningServer } from './live-helpers.js';
import { northScenario, startSetsServer } from './live-sets-helpers.js';

const url = postgresUrl();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function twoInstances(): Promise<{ a: RunningServer; b: RunningServer }> {
  const schema = uniqueSchema();
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  cleanups.push(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });
  const start = async () => {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const store = postgresServerStore(pool, { schema });
    const running = await startSetsServer(store);
    cleanups.push(async () => {
      await running.close();
      await store.close();
      await pool.end();
    });
    return running;
  };
  return { a: await start(), b: await start() };
}

describe.runIf(url)('live pokes respect sets across Postgres instances', () => {
  it('pokes a stream on B for changes on A in its set, entering or leaving, and no other', async () => {
    const { a, b } = await twoInstances();
    const { positions, withSet, control } = await northScenario(b, a);
    const { outside, inside, movedOut, afterLeaving, movedIn } = positions;
    expect(withSet).toEqual([inside, movedOut, movedIn]);
    expect(control).toEqual([outside, inside, movedOut, afterLeaving, movedIn]);
  });

  it('does the same on the committing instance', async () => {
    const { a } = await twoInstances();
    const { positions, withSet } = await northScenario(a, a);
    expect(withSet).toEqual([positions.inside, positions.movedOut, positions.movedIn]);
  });
});
