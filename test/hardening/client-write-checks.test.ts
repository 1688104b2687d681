import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CollectionDefinition, StorageAdapter, SyncClient } from 'tidesync';
import { createSyncClient, defineCollection, directTransport, manual } from 'tidesync';
import { createSyncServer, memoryServerStore, type SyncServer } from 'tidesync/server';
import { ADAPTERS } from '../client/storage-helpers.js';

// Items 5 and 13 (issue 15), client side: a write the server could not store (a NUL or a lone
// surrogate) is refused up front with VALIDATION_FAILED, and a prototype key in a
// resolveConflict() value with FORBIDDEN_FIELD, never stripped silently. Nothing is written,
// and the device's other writes sync.

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ title: z.string(), meta: z.record(z.string(), z.unknown()).optional() }),
  conflict: manual(),
});
const collections: CollectionDefinition[] = [notes];

const clean = () => expect(Object.prototype).not.toHaveProperty('polluted');

let open: SyncClient[] = [];
afterEach(async () => {
  await Promise.all(open.map((c) => c.close()));
  open = [];
  clean();
});

function makeServer(): SyncServer {
  return createSyncServer({
    collections,
    store: memoryServerStore(),
    authorize: () => ({ userId: 'alice' }),
  });
}

async function clientOf(server: SyncServer, storage: StorageAdapter): Promise<SyncClient> {
  const client = await createSyncClient({
    collections,
    storage,
    transport: directTransport(server),
    triggers: [],
  });
  open.push(client);
  return client;
}

/** A conflicted note on `b` (both devices edited the title). */
async function conflicted(storage: StorageAdapter) {
  const server = makeServer();
  const a = await clientOf(server, ADAPTERS[0]!.create());
  const b = await clientOf(server, storage);
  const note = await a.collection('notes').insert({ title: 't' });
  await a.sync();
  await b.sync();
  await a.collection('notes').update(note.id, { title: 'A' });
  await b.collection('notes').update(note.id, { title: 'B' });
  await a.sync();
  await b.sync();
  const [conflict] = await b.conflicts();
  expect(conflict).toBeDefined();
  return { a, b, id: conflict!.id };
}

describe.each(ADAPTERS)('client write checks: $name', (adapter) => {
  const UNSTORABLE: [string, Record<string, unknown>, string][] = [
    ['a NUL in a field', { title: 'a\u0000b' }, 'title'],
    ['a lone surrogate in a field', { title: 'a\ud800' }, 'title'],
    ['a NUL in a nested key', { title: 't', meta: { 'k\u0000': 1 } }, 'meta.k\\u0000 (the key)'],
    ['a lone low surrogate deep down', { title: 't', meta: { x: ['ok', '\udc00'] } }, 'meta.x.1'],
  ];

  it.each(UNSTORABLE)(
    'refuses an insert with %s (VALIDATION_FAILED naming the field); other writes sync',
    async (_name, value, path) => {
      const server = makeServer();
      const client = await clientOf(server, adapter.create());
      const error = await client
        .collection('notes')
        .insert(value)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect((error as { issues: { path: string }[] }).issues[0]?.path).toBe(path);
      expect(client.status.pendingOps).toBe(0);
      await client.collection('notes').insert({ title: 'fine' });
      await client.sync();
      expect(client.status.pendingOps).toBe(0);
      expect(await client.deadLetters()).toEqual([]);
    },
  );

  it('refuses an update patch with a NUL and leaves the record as it was', async () => {
    const client = await clientOf(makeServer(), adapter.create());
    const note = await client.collection('notes').insert({ title: 't' });
    await expect(
      client.collection('notes').update(note.id, { title: 'x\u0000' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await client.collection('notes').get(note.id)).toMatchObject({ title: 't' });
    expect(client.status.pendingOps).toBe(1);
  });

  const PROTO: [string, string][] = [
    ['__proto__ at the top', '{"title":"x","__proto__":{"polluted":"yes"}}'],
    ['constructor.prototype', '{"title":"x","constructor":{"prototype":{"polluted":"yes"}}}'],
    ['__proto__ nested', '{"title":"x","meta":{"a":{"__proto__":{"polluted":"yes"}}}}'],
  ];

  it.each(PROTO)(
    'refuses a resolveConflict value with %s (FORBIDDEN_FIELD), the conflict stays open',
    async (_name, json) => {
      const { b, id } = await conflicted(adapter.create());
      const value = JSON.parse(json) as Record<string, unknown>;
      await expect(b.resolveConflict('notes', id, { value })).rejects.toMatchObject({
        code: 'FORBIDDEN_FIELD',
      });
      expect(await b.conflicts()).toHaveLength(1);
      clean();
    },
  );

  it('refuses a resolveConflict value with a NUL (VALIDATION_FAILED), the conflict stays open', async () => {
    const { b, id } = await conflicted(adapter.create());
    await expect(
      b.resolveConflict('notes', id, { value: { title: 'A\u0000B' } }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await b.conflicts()).toHaveLength(1);
    await b.resolveConflict('notes', id, { value: { title: 'A+B' } });
    expect(await b.conflicts()).toEqual([]);
  });
});
