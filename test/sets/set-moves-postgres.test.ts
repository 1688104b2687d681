import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresServerStore } from 'tidesync/server';
import type { ServerStore, SyncServer } from 'tidesync/server';
import { postgresUrl, uniqueSchema } from '../server/postgres-fixture.js';
import { jittery, slowCommits } from '../server/postgres-jitter.js';
import { NOW, makeServer, op, push, todos } from '../server/server-helpers.js';
import { openDevice } from './set-device.js';
import { DEVICE_STORAGES } from './set-device.js';
import { orderInsert, orders, teamOrders } from './set-helpers.js';

const url = postgresUrl();
const REGIONS = ['north', 'south', 'east'];
const RECORDS_PER_WRITER = 8;
const ROUNDS = 40;

/** A seeded random source, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

// Issue 19: records move out of and back into a set between pulls, many times, while two
// server instances write to one Postgres and the device pulls through both.
describe.runIf(url !== undefined)(
  'sync-set moves under concurrent writers on two Postgres instances',
  () => {
    const schema = uniqueSchema();
    const pools: pg.Pool[] = [];
    let stores: ServerStore[];
    let servers: SyncServer[];

    beforeAll(async () => {
      for (let i = 0; i < 2; i++) pools.push(new pg.Pool({ connectionString: url, max: 5 }));
      stores = pools.map((pool) =>
        jittery(postgresServerStore(slowCommits(pool, 4), { schema }), 0, 4),
      );
      servers = stores.map((store) =>
        makeServer(store, { collections: [orders, teamOrders, todos] }),
      );
    });
    afterAll(async () => {
      await pools[0]?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(pools.map((pool) => pool.end()));
    });

    it('ends with exactly what the device’s sets cover: nothing skipped, nothing stale', async () => {
      const seed = Number(process.env['SETS_SEED'] ?? Date.now() % 100_000);
      const random = seeded(seed);
      const writer = async (w: number) => {
        const versions = new Map<string, number>();
        let seq = 0;
        const ids = Array.from({ length: RECORDS_PER_WRITER }, (_, i) => `w${w}-${i}`);
        const inserted = await push(
          servers[w % 2]!,
          `writer-${w}`,
          ids.map((id, i) => orderInsert(++seq, id, { region: REGIONS[i % 3]! })),
        );
        for (const result of inserted.body.results) {
          if (result.status === 'applied') versions.set(result.serverId, result.version);
        }
        for (let round = 0; round < ROUNDS; round++) {
          const id = ids[Math.floor(random() * ids.length)]!;
          const version = versions.get(id);
          if (version === undefined) continue; // deleted
          const deleting = random() < 0.05;
          const next = deleting
            ? op({
                seq: ++seq,
                collection: 'orders',
                id,
                serverId: id,
                type: 'delete',
                baseVersion: version,
              })
            : op({
                seq: ++seq,
                collection: 'orders',
                id,
                serverId: id,
                type: 'update',
                baseVersion: version,
                patch:
                  random() < 0.7
                    ? { region: REGIONS[Math.floor(random() * 3)]! }
                    : { title: `t${round}` },
                hlc: `${String(NOW - 5000 + round).padStart(15, '0')}:000000:writer${w}`,
              });
          const answer = await push(servers[(w + round) % 2]!, `writer-${w}`, [next]);
          if (answer.status !== 200)
            throw new Error(`seed ${seed}: ${JSON.stringify(answer.body)}`);
          const [result] = answer.body.results;
          if (result?.status !== 'applied')
            throw new Error(`seed ${seed}: ${JSON.stringify(result)}`);
          if (deleting) versions.delete(id);
          else versions.set(id, result.version);
        }
      };
      let turn = 0;
      const alternating = { fetch: (request: Request) => servers[turn++ % 2]!.fetch(request) };
      const device = await openDevice(alternating as SyncServer, DEVICE_STORAGES[0]!.create()(), {
        pullPageSize: 3,
      });
      const north = await device.collection(orders).syncSet({ where: { region: 'north' } });
      const east = await device.collection(orders).syncSet({ where: { region: { in: ['east'] } } });
      let writing = true;
      const reader = (async () => {
        while (writing) await device.sync();
      })();
      await Promise.all([0, 1, 2].map(writer));
      writing = false;
      await reader;
      await device.sync();
      await Promise.all([north.ready, east.ready]);
      const truth = await stores[0]!.read(async (reader) => {
        const expected = new Map<string, number>();
        for (let w = 0; w < 3; w++) {
          for (let i = 0; i < RECORDS_PER_WRITER; i++) {
            const record = await reader.getRecord('orders', `w${w}-${i}`);
            if (record && !record.deleted && record.data['region'] !== 'south') {
              expected.set(record.id, record.version);
            }
          }
        }
        return expected;
      });
      const held = new Map(
        (await device.collection(orders).find()).map((r) => [r.serverId!, r] as const),
      );
      const stored = await Promise.all(
        [...held.keys()].map((id) => stores[0]!.read((reader) => reader.getRecord('orders', id))),
      );
      expect([...held.keys()].sort(), `seed ${seed}`).toEqual([...truth.keys()].sort());
      for (const record of stored) {
        expect(held.get(record!.id), `seed ${seed}`).toMatchObject({
          region: record!.data['region'],
          title: record!.data['title'],
          syncStatus: 'synced',
        });
      }
      await device.close();
    });
  },
);
