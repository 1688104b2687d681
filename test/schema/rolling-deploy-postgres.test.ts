// Mixed versions across two server instances on one Postgres during a rolling deploy: one
// instance still runs version 2, the other version 3 (with reverse migrations), and requests
// land on either. Nothing is dead-lettered, every write lands, and once the deploy is done
// both apps see every record at their own version.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { CollectionDefinition, SyncClient } from 'tidesync';
import { TidesyncError, createSyncClient, httpTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import type { SyncServer } from 'tidesync/server';
import { createSyncServer, postgresServerStore } from 'tidesync/server';
import { postgresUrl, uniqueSchema } from '../server/postgres-fixture.js';
import { todosV2, todosV3Reversible } from './todo-versions.js';

const url = postgresUrl();

describe.runIf(url !== undefined)('rolling deploy from version 2 to 3 on one Postgres', () => {
  const schema = uniqueSchema();
  const pools: pg.Pool[] = [];
  afterAll(async () => {
    await pools[0]?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await Promise.all(pools.map((pool) => pool.end()));
  });

  const instance = (collections: readonly CollectionDefinition[]): SyncServer => {
    const pool = new pg.Pool({ connectionString: url, max: 3 });
    pools.push(pool);
    return createSyncServer({
      collections,
      store: postgresServerStore(pool, { schema }),
      authorize: () => ({ userId: 'u1' }),
    });
  };

  it('loses nothing and dead-letters nothing while instances run different versions', async () => {
    const instances = [instance([todosV2]), instance([todosV3Reversible])];
    let state = 12345;
    // A load balancer: each request goes to one of the instances, picked by a seeded generator.
    const pick = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return (state >> 16) % 2;
    };
    const transport = () =>
      httpTransport({
        url: 'http://balancer.test/sync',
        fetch: (input, init) => instances[pick()]!.fetch(new Request(input as string, init)),
      });
    const open = (collections: readonly CollectionDefinition[]): Promise<SyncClient> =>
      createSyncClient({
        collections,
        storage: memoryAdapter(),
        transport: transport(),
        triggers: [],
      });
    const v2 = await open([todosV2]);
    const v3 = await open([todosV3Reversible]);
    for (let i = 0; i < 3; i++) {
      await v2.collection('todos').insert({ title: `v2-${i}`, done: false, priority: i });
      await v3.collection('todos').insert({ name: `v3-${i}`, done: i % 2 === 0, priority: i });
    }
    const codes = new Set<string>();
    const round = async () => {
      for (const client of [v2, v3]) {
        try {
          await client.sync();
        } catch (error) {
          if (!(error instanceof TidesyncError)) throw error;
          codes.add(error.code);
        }
      }
    };
    for (let i = 0; i < 6; i++) await round();
    // A write on a record of the other version mid-rollout, then more mixed rounds.
    const [first] = await v2.collection('todos').find({ where: { title: 'v3-0' } });
    expect(first).toBeDefined();
    await v2.collection('todos').update(first!.id, { title: 'v3-0 edited on v2' });
    for (let i = 0; i < 4; i++) await round();
    expect([...codes].every((code) => code === 'SERVER_TOO_OLD')).toBe(true);
    expect(codes.has('SERVER_TOO_OLD')).toBe(true);

    // The deploy completes: the old instance is replaced by a version-3 one.
    instances[0] = instance([todosV3Reversible]);
    for (let i = 0; i < 3; i++) await round();
    expect(await v2.deadLetters()).toEqual([]);
    expect(await v3.deadLetters()).toEqual([]);
    expect(v2.status.pendingOps + v3.status.pendingOps).toBe(0);

    const atV3 = (await v3.collection('todos').find()).map((r) => `${r.name}/${r.priority}`);
    expect(atV3.sort()).toEqual([
      'v2-0/0',
      'v2-1/1',
      'v2-2/2',
      'v3-0 edited on v2/0',
      'v3-1/1',
      'v3-2/2',
    ]);
    const atV2 = (await v2.collection('todos').find()).map((r) => `${r.title}/${r.priority}`);
    expect(atV2.sort()).toEqual(atV3.sort());
    await v2.close();
    await v3.close();
  });
});
