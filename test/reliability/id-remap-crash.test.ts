// S4: with server-minted ids (`assignId: 'server'`), a crash between the server's id mapping
// (the push response) and the local remap, and at every storage call during the remap, is redone
// idempotently after a restart, over each store of crash-stores.ts (memory, an SQLite file,
// IndexedDB): one parent row on the server, no op or reference keeps the
// temporary id.
// Injected fault, not a process kill: the "crash" is an exception thrown at a storage call
// inside the open transaction; the library and the adapter roll that transaction back and the
// client is closed before the restart. This tests rollback and restart, not recovery after a
// kill (no journal recovery, nothing left half-written by a dead process): see
// kill-points.test.ts (S3, S4), crash.test.ts (S2, S5) and test/adapters/sqlite-crash.test.ts
// (S1, S5) for real SIGKILLs.
import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { defineCollection, type Transport } from 'tidesync';
import {
  SimulatedCrash,
  clientOn,
  closeQuietly,
  crashingAdapter,
  serverView,
  userTransport,
} from './fault-helpers.js';
import { makeServer } from '../client/sync-helpers.js';
import {
  CRASH_STORE_ROWS,
  crashPoints,
  type CrashStore,
  type CrashStoreKind,
} from './crash-stores.js';

const projects = defineCollection({ name: 'projects', schema: z.object({ name: z.string() }) });
const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string(), projectId: z.string().nullable() }),
  references: { projectId: 'projects' },
});
const collections = [projects, todos];

/** Writes a parent and three children offline; returns the parent's temporary id. */
async function writeOffline(store: CrashStore, transport: Transport): Promise<string> {
  const client = await clientOn(collections, store.adapter(), transport);
  const parent = await client.collection('projects').insert({ name: 'trip' });
  for (const title of ['pack', 'book', 'go'])
    await client.collection('todos').insert({ title, projectId: parent.id });
  // A later edit of the parent (coalesced into its unsent insert).
  await client.collection('projects').update(parent.id, { name: 'trip 2' });
  await client.close();
  return parent.id;
}

/** Records and ops as stored, read through a fresh adapter over `store`. */
async function localState(store: CrashStore) {
  return store.read(async (tx) => ({
    projects: await tx.listRecords('projects'),
    todos: await tx.listRecords('todos'),
    ops: await tx.listOps(),
  }));
}

/** Counts storage calls of a clean first sync, so the crash points cover all of it. */
async function cleanSyncCalls(kind: CrashStoreKind): Promise<number> {
  const server = makeServer(collections, 'server');
  const store = kind.create();
  const transport = userTransport(server, () => 'alice');
  await writeOffline(store, transport);
  const counting = crashingAdapter(store.adapter(), () => false, { armed: false });
  const client = await clientOn(collections, counting, transport);
  counting.arm();
  await client.sync();
  await client.close();
  await store.dispose();
  return counting.calls;
}

describe.each(CRASH_STORE_ROWS)(
  'S4: a crash around the server-id remap is redone idempotently, at %s',
  async (_, kind) => {
    const total = await cleanSyncCalls(kind);
    const points = crashPoints(total, kind.step);

    it('the clean sync makes enough storage calls to be worth crashing', () => {
      expect(total).toBeGreaterThan(20);
    });

    it.each(points)('crash at storage call %i of the first sync', async (point) => {
      const server = makeServer(collections, 'server');
      const store = kind.create();
      onTestFinished(() => store.dispose());
      let pushAnswers = 0;
      const inner = userTransport(server, () => 'alice');
      const transport: Transport = {
        async send(kind, body, options) {
          const answer = await inner.send(kind, body, options);
          if (kind === 'push') pushAnswers += 1;
          return answer;
        },
      };
      const tempId = await writeOffline(store, transport);
      const crashing = crashingAdapter(store.adapter(), (c) => c.index === point, {
        armed: false,
      });
      const first = await clientOn(collections, crashing, transport);
      crashing.arm();
      const error = await first.sync().catch((e: unknown) => e);
      await closeQuietly(first);
      expect(error instanceof SimulatedCrash).toBe(crashing.crashed);
      expect(crashing.crashed).toBe(point <= total);

      // Restart on the same store and sync until quiet.
      const restarted = await clientOn(collections, store.adapter(), transport);
      await restarted.sync();
      await restarted.sync();

      const serverProjects = await serverView(collections, server, 'alice', 'projects');
      const serverTodos = await serverView(collections, server, 'alice', 'todos');
      expect(serverProjects).toHaveLength(1);
      const parentId = serverProjects[0]?.['serverId'];
      expect(serverProjects[0]).toMatchObject({ name: 'trip 2' });
      expect(parentId).not.toBe(tempId);
      expect(serverTodos.map((t) => [t['title'], t['projectId']]).sort()).toEqual([
        ['book', parentId],
        ['go', parentId],
        ['pack', parentId],
      ]);

      const local = await localState(store);
      expect(local.ops).toEqual([]);
      expect(local.projects).toHaveLength(1);
      expect(local.projects[0]).toMatchObject({
        id: tempId,
        serverId: parentId,
        syncStatus: 'synced',
        data: { name: 'trip 2' },
      });
      expect(local.todos).toHaveLength(3);
      for (const todo of local.todos) {
        expect(todo.serverId).not.toBeNull();
        expect(todo.data['projectId']).toBe(parentId);
        expect(todo.syncStatus).toBe('synced');
      }
      expect(await restarted.deadLetters()).toEqual([]);
      // The children resolve through either id of their parent.
      expect(
        await restarted.collection('todos').find({ where: { projectId: parentId } }),
      ).toHaveLength(3);
      expect(pushAnswers).toBeGreaterThanOrEqual(2);
      await restarted.close();
    });
  },
);
