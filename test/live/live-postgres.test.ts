import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncClient } from 'tidesync';
import { postgresServerStore } from 'tidesync/server';
import { postgresUrl, uniqueSchema } from '../server/postgres-fixture.js';
import type { Tokens } from './live-helpers.js';
import { liveDevice, startServer, titles, until } from './live-helpers.js';

const url = postgresUrl();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const tokens: Tokens = new Map([['t-alice', { userId: 'alice' }]]);

/** One server instance: its own pool and store on the shared schema, its own HTTP port. */
async function instance(schema: string) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const store = postgresServerStore(pool, { schema });
  const running = await startServer(store, tokens);
  let killed = false;
  const kill = async () => {
    if (killed) return;
    killed = true;
    await running.close();
    await store.close();
    await pool.end();
  };
  cleanups.push(kill);
  return { ...running, pool, kill };
}

async function device(deviceUrl: string, extra = {}): Promise<SyncClient> {
  const client = await liveDevice(deviceUrl, { token: 't-alice', ...extra });
  cleanups.push(() => client.close());
  return client;
}

async function write(client: SyncClient, title: string): Promise<void> {
  await client.collection('todos').insert({ title });
  await client.sync();
}

describe.runIf(url)('live sync across Postgres instances (S40)', () => {
  it('pokes a device on instance B when a write commits through instance A', async () => {
    const schema = uniqueSchema();
    const a = await instance(schema);
    const b = await instance(schema);
    cleanups.push(() => a.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).then(() => {}));
    const writer = await device(a.url, { live: false });
    const reader = await device(b.url);
    await until([reader], () => reader.status.live === 'connected');
    await write(writer, 'through A');
    await until([reader], async () => (await titles(reader)).includes('through A'));
    expect(await titles(reader)).toEqual(['through A']);
  });

  it('keeps poking survivors when one instance is killed; its devices move to the other', async () => {
    const schema = uniqueSchema();
    const doomed = await instance(schema);
    const survivor = await instance(schema);
    cleanups.unshift(async () => {
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    });
    // A load balancer in one function: the doomed instance first, the survivor when it is gone.
    const failover: typeof fetch = async (input, init) => {
      try {
        return await fetch(input, init);
      } catch {
        return fetch(String(input).replace(doomed.url, survivor.url), init);
      }
    };
    const writer = await device(survivor.url, { live: false });
    const onSurvivor = await device(survivor.url);
    const onDoomed = await device(doomed.url, { fetch: failover });
    await until([onSurvivor, onDoomed], () =>
      [onSurvivor, onDoomed].every((c) => c.status.live === 'connected'),
    );
    await write(writer, 'before');
    await until([onSurvivor, onDoomed], async () =>
      (await Promise.all([titles(onSurvivor), titles(onDoomed)])).every((t) => t.length === 1),
    );
    await doomed.kill();
    await write(writer, 'after one');
    await write(writer, 'after two');
    await until([onSurvivor, onDoomed], async () =>
      (await Promise.all([titles(onSurvivor), titles(onDoomed)])).every((t) => t.length === 3),
    );
    expect(await titles(onDoomed)).toEqual(['after one', 'after two', 'before']);
    expect(onDoomed.status.live).toBe('connected');
    // Still live after the move: a later write reaches it through the survivor's stream.
    await write(writer, 'later');
    await until([onDoomed], async () => (await titles(onDoomed)).includes('later'));
  });
});
