import { z } from 'zod';
import type { ConflictStrategy, SyncClient } from 'tidesync';
import { createSyncClient, defineCollection, directTransport, manual } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, memoryServerStore, type SyncServer } from 'tidesync/server';

/** A plausible wall clock start (2023-11-14), so server clamps see sane times. */
export const T0 = 1_700_000_000_000;

/** A hybrid logical clock timestamp (the documented string form: ms, base-36 counter, node). */
export function hlcAt(ms: number, counter: number, node: string): string {
  return `${String(ms).padStart(15, '0')}:${counter.toString(36).padStart(6, '0')}:${node}`;
}

/** A two-field collection: enough to tell a field merge from a whole-record win. */
export function notes(conflict: ConflictStrategy) {
  return defineCollection({
    name: 'notes',
    schema: z.object({ title: z.string(), body: z.string() }),
    conflict,
  });
}

/** A device: a client whose wall clock the test sets. */
export interface Device {
  readonly client: SyncClient;
  /** Sets this device's wall clock (ms). */
  setNow(ms: number): void;
  /** Makes pushed ops for local record `localId` carry `targetId` instead (a colliding id). */
  collideId(localId: string, targetId: string): void;
}

/** Options of {@link World.device}. */
export interface DeviceOptions {
  readonly batchSize?: number;
  readonly pullPageSize?: number;
  /** Initial wall clock (ms). @default T0 */
  readonly now?: number;
  /** Runs before each pull request reaches the server (e.g. a local write racing the pull). */
  readonly beforePull?: () => Promise<void>;
}

/** A memory server plus devices, each with its own injectable wall clock. */
export interface World {
  readonly server: SyncServer;
  setServerNow(ms: number): void;
  device(options?: DeviceOptions): Promise<Device>;
  close(): Promise<void>;
}

/** Creates a {@link World} whose collections are `collections`. */
export function createWorld(
  collections: Parameters<typeof createSyncServer>[0]['collections'],
  options: { maxClockDriftMs?: number } = {},
): World {
  let serverNow = T0;
  const server = createSyncServer({
    collections,
    store: memoryServerStore(),
    assignId: 'client',
    authorize: () => ({ userId: 'alice' }),
    now: () => serverNow,
    ...(options.maxClockDriftMs === undefined ? {} : { maxClockDriftMs: options.maxClockDriftMs }),
  });
  const clients: SyncClient[] = [];
  return {
    server,
    setServerNow(ms) {
      serverNow = ms;
    },
    async device(deviceOptions = {}) {
      let now = deviceOptions.now ?? T0;
      const collide = new Map<string, string>();
      const client = await createSyncClient({
        collections,
        storage: memoryAdapter(),
        triggers: [],
        now: () => now,
        ...(deviceOptions.batchSize ? { batchSize: deviceOptions.batchSize } : {}),
        ...(deviceOptions.pullPageSize ? { pullPageSize: deviceOptions.pullPageSize } : {}),
        transport: directTransport({
          fetch: async (request) => {
            if (request.url.endsWith('/pull')) await deviceOptions.beforePull?.();
            if (collide.size === 0 || !request.url.endsWith('/push')) return server.fetch(request);
            const body = (await request.json()) as { ops: { id: string }[] };
            for (const op of body.ops) op.id = collide.get(op.id) ?? op.id;
            return server.fetch(
              new Request(request.url, {
                method: 'POST',
                headers: request.headers,
                body: JSON.stringify(body),
              }),
            );
          },
        }),
      });
      clients.push(client);
      return {
        client,
        setNow(ms) {
          now = ms;
        },
        collideId(localId, targetId) {
          collide.set(localId, targetId);
        },
      };
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}

/** A client's live records of `collection` without local-only metadata, by server id. */
export async function snapshot(
  client: SyncClient,
  collection: string,
): Promise<Record<string, unknown>[]> {
  const rows = await client.collection(collection).find();
  return rows
    .map(({ id: _id, updatedAt: _u, ...rest }) => rest)
    .sort((a, b) => String(a.serverId).localeCompare(String(b.serverId)));
}

/**
 * A world of two devices on a `manual()` collection whose edits of one record conflict: both
 * edited it after syncing it, and A synced its edit; B's next sync opens the conflict.
 */
export async function conflictingDevices(): Promise<{
  world: World;
  a: Device;
  b: Device;
  id: string;
}> {
  const world = createWorld([notes(manual())]);
  const a = await world.device();
  const b = await world.device();
  const { id } = await a.client.collection('notes').insert({ title: 't', body: 'b' });
  await a.client.sync();
  await b.client.sync();
  await a.client.collection('notes').update(id, { title: 'A' });
  await b.client.collection('notes').update(id, { title: 'B' });
  await a.client.sync();
  return { world, a, b, id };
}
