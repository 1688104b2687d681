// Shared pieces of the sync-set tests: a `sync: 'sets'` collection and set pulls on the wire.
import { z } from 'zod';
import { defineCollection, lastWriteWins, manual } from 'tidesync';
import type { SyncServer } from 'tidesync/server';
import type { TestHarness } from 'tidesync/testing';
import type { SyncSetWhere } from '../../src/core/index.js';
import { call, hlcAt, op } from '../server/server-helpers.js';
import type { Answer, PullAnswer } from '../server/server-helpers.js';

/** Work orders, synced by sets on `region` and `projectId`. */
export const orders = defineCollection({
  name: 'orders',
  schema: z.object({ title: z.string(), region: z.string(), projectId: z.string().nullable() }),
  conflict: lastWriteWins(),
  sync: 'sets',
  indexes: ['region', 'projectId'],
});

/** Orders under `manual()` (each conflict goes to the inbox), synced by sets on `region`. */
export const manualOrders = defineCollection({
  name: 'orders',
  schema: z.object({ title: z.string(), region: z.string() }),
  conflict: manual(),
  sync: 'sets',
  indexes: ['region'],
});

/** Orders visible to their creator and every member of their team, synced by sets on `region`. */
export const teamOrders = defineCollection({
  name: 'teamOrders',
  schema: z.object({ title: z.string(), region: z.string(), team: z.string() }),
  scope: (record, user) => record.ownerId === user.userId || record.data['team'] === user['team'],
  sync: 'sets',
  indexes: ['region'],
});

export type SetAnswer = PullAnswer & {
  readonly remaining?: number;
  readonly removed?: { collection: string; id: string; version: number }[];
};

/** One page of a set pull. */
export function pullSet(
  server: SyncServer,
  clientId: string,
  set: { collection: string; where: SyncSetWhere },
  cursor: string | null,
  options: { limit?: number; count?: boolean; user?: string; team?: string; held?: string[] } = {},
): Promise<Answer<SetAnswer>> {
  return call<SetAnswer>(
    server,
    'pull',
    {
      protocol: 1,
      clientId,
      cursor,
      limit: options.limit ?? 100,
      set,
      ...(options.count ? { countRemaining: true } : {}),
      ...(options.held ? { held: options.held } : {}),
    },
    { user: options.user ?? 'alice', ...(options.team ? { team: options.team } : {}) },
  );
}

/** Every page of a set pull from `cursor`: the changes, removals and the last cursor. */
export async function pullWholeSet(
  server: SyncServer,
  clientId: string,
  set: { collection: string; where: SyncSetWhere },
  cursor: string | null,
  options: { limit?: number; user?: string; team?: string } = {},
): Promise<{ changes: SetAnswer['changes']; removed: string[]; cursor: string | null }> {
  const changes: SetAnswer['changes'] = [];
  const removed: string[] = [];
  for (;;) {
    const answer = await pullSet(server, clientId, set, cursor, options);
    if (answer.status !== 200) throw new Error(`set pull failed: ${JSON.stringify(answer.body)}`);
    changes.push(...answer.body.changes);
    removed.push(...(answer.body.removed ?? []).map((r) => r.id));
    cursor = answer.body.cursor;
    if (!answer.body.hasMore) return { changes, removed, cursor };
  }
}

/** An insert op of an order. */
export function orderInsert(
  seq: number,
  id: string,
  data: { title?: string; region: string; projectId?: string | null },
) {
  return op({
    seq,
    collection: 'orders',
    id,
    data: { title: data.title ?? id, region: data.region, projectId: data.projectId ?? null },
  });
}

/** An update op of an order (client ids: server id = local id). */
export function orderUpdate(
  seq: number,
  id: string,
  baseVersion: number,
  patch: Record<string, unknown>,
  hlcMs?: number,
) {
  return op({
    seq,
    collection: 'orders',
    id,
    serverId: id,
    type: 'update',
    baseVersion,
    patch,
    ...(hlcMs === undefined ? {} : { hlc: hlcAtMs(hlcMs) }),
  });
}

const hlcAtMs = (ms: number) => hlcAt(ms);

/**
 * Device 0 of `h` inserts the order `{ title: 'a', region: 'north' }` and every device settles;
 * its id on device 0 and on device 1 (the two devices name it differently until ids resolve).
 */
export async function sharedNorthOrder(h: TestHarness): Promise<{ first: string; second: string }> {
  const created = await h.clients[0]!.collection('orders').insert({ title: 'a', region: 'north' });
  await h.settle();
  const [held] = await h.clients[1]!.collection('orders').find();
  return { first: created.id, second: held!.id };
}
