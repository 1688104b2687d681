// S34 with sync sets (issue 19): random writes that move records between regions, random set
// changes per client, partitions, dropped requests and lost responses on 3 clients; then heal
// and settle: every replica holds exactly what its own sets cover on the server.
// Runs: TIDESYNC_SETS_PROPERTY_RUNS (default 25); replay with TIDESYNC_PROPERTY_SEED / _PATH.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { SyncClient } from 'tidesync';
import { createTestHarness } from 'tidesync/testing';
import { propertyRuns } from '../property/property-runs.js';
import { orders } from './set-helpers.js';

const REGIONS = ['north', 'south', 'east', 'west'] as const;
const CLIENTS = 3;

type Step =
  | { kind: 'insert'; client: number; region: number }
  | { kind: 'move'; client: number; pick: number; region: number }
  | { kind: 'edit'; client: number; pick: number }
  | { kind: 'delete'; client: number; pick: number }
  | { kind: 'addSet'; client: number; regions: number[] }
  | { kind: 'removeSet'; client: number; pick: number }
  | { kind: 'sync'; client: number }
  | { kind: 'offline'; client: number }
  | { kind: 'online'; client: number };

const client = fc.integer({ min: 0, max: CLIENTS - 1 });
const region = fc.integer({ min: 0, max: REGIONS.length - 1 });
const pick = fc.nat(50);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), client, region }),
  fc.record({ kind: fc.constant('move' as const), client, pick, region }),
  fc.record({ kind: fc.constant('move' as const), client, pick, region }),
  fc.record({ kind: fc.constant('edit' as const), client, pick }),
  fc.record({ kind: fc.constant('delete' as const), client, pick }),
  fc.record({
    kind: fc.constant('addSet' as const),
    client,
    regions: fc.uniqueArray(region, { minLength: 1, maxLength: 2 }),
  }),
  fc.record({ kind: fc.constant('removeSet' as const), client, pick }),
  fc.record({ kind: fc.constant('sync' as const), client }),
  fc.record({ kind: fc.constant('sync' as const), client }),
  fc.record({ kind: fc.constant('offline' as const), client }),
  fc.record({ kind: fc.constant('online' as const), client }),
);

/** Sync errors are expected under faults (the outbox is kept); anything else is not. */
async function trySync(device: SyncClient): Promise<void> {
  await device.sync().catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    if (code !== 'NETWORK_UNAVAILABLE' && code !== 'SERVER_ERROR') throw error;
  });
}

async function run(steps: readonly Step[], seed: number): Promise<void> {
  const h = await createTestHarness({
    collections: [orders],
    clients: Array.from({ length: CLIENTS }, (_, i) => ({
      sets: [{ collection: 'orders', where: { region: REGIONS[i % REGIONS.length]! } }],
    })),
    network: { seed, dropRequestRate: 0.05, dropResponseRate: 0.05 },
  });
  try {
    let n = 0;
    for (const step of steps) {
      const device = h.clients[step.client]!;
      const handle = device.collection(orders);
      const rows = await handle.find({ orderBy: [['id', 'asc']] });
      const target =
        rows.length > 0 ? rows[('pick' in step ? step.pick : 0) % rows.length] : undefined;
      switch (step.kind) {
        case 'insert':
          await handle.insert({ title: `t${n++}`, region: REGIONS[step.region]!, projectId: null });
          break;
        case 'move':
          if (target) await handle.update(target.id, { region: REGIONS[step.region]! });
          break;
        case 'edit':
          if (target) await handle.update(target.id, { title: `t${n++}` });
          break;
        case 'delete':
          if (target) await handle.delete(target.id);
          break;
        case 'addSet':
          await handle.syncSet({ where: { region: { in: step.regions.map((r) => REGIONS[r]!) } } });
          break;
        case 'removeSet': {
          const sets = await device.syncSets();
          if (sets.length > 0) await sets[step.pick % sets.length]!.remove();
          break;
        }
        case 'sync':
          await h.sync(step.client).catch(() => trySync(device));
          break;
        case 'offline':
          h.offline(step.client);
          break;
        case 'online':
          h.online(step.client);
          break;
      }
    }
    for (let i = 0; i < CLIENTS; i++) h.online(i);
    await h.settle();
    await h.assertConverged();
  } finally {
    await h.close();
  }
}

describe('S34 with sync sets: random moves and set changes per client converge', () => {
  it('every replica ends with exactly what its sets cover', { timeout: 240_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 5, maxLength: 40 }),
        fc.nat(),
        (steps, seed) => run(steps, seed),
      ),
      propertyRuns(25, 'TIDESYNC_SETS_PROPERTY_RUNS'),
    );
  });
});
