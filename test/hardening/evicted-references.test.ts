// Issue 15 item 8: references to evicted records stay canonical. With server-assigned ids a
// record's local id differs from its server id; after clearCache() or retention dropped the
// record, a new reference to it by the local id the app still holds must reach the server as
// the server id (the client keeps the id mapping of what it evicted), also after the record
// came back through a pull and was dropped again. The server never stores the local id.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StorageAdapter, SyncClient } from 'tidesync';
import { defineCollection, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { ADAPTERS, makeClient, makeServer, rawRecords } from './hostile-server.js';

/** Retention of `projects`, switched on by a test (the definition keeps the object). */
const policy: { maxRecords?: number } = {};

const projects = defineCollection({
  name: 'projects',
  schema: z.object({ name: z.string() }),
  retention: policy,
});
const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string(), projectId: z.string().nullable() }),
  references: { projectId: 'projects' },
});
const collections = [projects, todos];

const open: SyncClient[] = [];
afterEach(async () => {
  delete policy.maxRecords;
  for (const client of open.splice(0)) await client.close();
});

async function setup(storage: StorageAdapter) {
  const server = makeServer(collections);
  const client = await makeClient(collections, storage, directTransport(server));
  const observer = await makeClient(collections, memoryAdapter(), directTransport(server));
  open.push(client, observer);
  const project = await client.collection('projects').insert({ name: 'trip' });
  await client.sync();
  const serverId = String((await client.collection('projects').get(project.id))?.serverId);
  expect(serverId).not.toBe(project.id);
  return { server, client, observer, localId: project.id, serverId };
}

/** The `projectId` of every todo as the server holds it (through a fresh replica's pull). */
async function serverReferences(observer: SyncClient): Promise<unknown[]> {
  await observer.sync();
  const rows = await observer.collection('todos').find({ orderBy: [['title', 'asc']] });
  return rows.map((r) => r['projectId']);
}

describe.each(ADAPTERS)('references to evicted records ($name)', (adapter) => {
  it('after clearCache(), a reference by the local id reaches the server as the server id', async () => {
    const storage = adapter.create();
    const { client, observer, localId, serverId } = await setup(storage);
    await client.clearCache({ collections: ['projects'] });
    expect(await rawRecords(storage, 'projects')).toEqual([]);

    const todo = await client.collection('todos').insert({ title: 'a', projectId: localId });
    const other = await client.collection('todos').insert({ title: 'b', projectId: null });
    await client.sync();
    await client.collection('todos').update(other.id, { projectId: localId });
    await client.sync();

    expect(await serverReferences(observer)).toEqual([serverId, serverId]);
    expect((await client.collection('todos').get(todo.id))?.['projectId']).toBe(serverId);
  });

  it('after retention dropped it, likewise', async () => {
    const storage = adapter.create();
    const { client, observer, localId, serverId } = await setup(storage);
    policy.maxRecords = 0;
    expect((await client.applyRetention()).collections).toEqual({ projects: 1 });

    await client.collection('todos').insert({ title: 'a', projectId: localId });
    await client.sync();

    expect(await serverReferences(observer)).toEqual([serverId]);
  });

  it('the mapping survives the record coming back through a pull and being dropped again', async () => {
    const storage = adapter.create();
    const { client, observer, localId, serverId } = await setup(storage);
    await client.clearCache({ collections: ['projects'] });
    // Another device edits the project: this device's next pull brings it back.
    await observer.sync();
    await observer.collection('projects').update(serverId, { name: 'trip 2' });
    await observer.sync();
    await client.sync();
    expect((await rawRecords(storage, 'projects')).map((r) => r.data['name'])).toEqual(['trip 2']);
    // A remote find while it is back, then a second eviction.
    await client.collection('projects').find({}, { remote: true });
    await client.clearCache({ collections: ['projects'] });

    await client.collection('todos').insert({ title: 'a', projectId: localId });
    await client.sync();

    expect(await serverReferences(observer)).toEqual([serverId]);
  });
});
