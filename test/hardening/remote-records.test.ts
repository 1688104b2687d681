// Issue 15 item 6 (S37): the client trusts nothing it pulls. Pull pages, push answers and
// fetchRemote() answers are checked against the collection schema before they are stored;
// a record that fails, or whose data tries to set id/serverId/updatedAt/syncStatus, stays out
// of storage, is reported (remoteRejected, INVALID_REMOTE_RECORD) and the rest goes on. A push
// answer that maps a new record onto a server id another local record holds is refused.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SyncClient } from 'tidesync';
import { TidesyncError, defineCollection, directTransport, manual } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import {
  ADAPTERS,
  collect,
  hostileTransport,
  makeClient,
  makeServer,
  rawRecords,
  storedCursor,
  type Json,
  type Tampering,
} from './hostile-server.js';

const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string().min(1), done: z.boolean() }),
  conflict: manual(),
});
const collections = [todos];

const open: SyncClient[] = [];
afterEach(async () => {
  for (const client of open.splice(0)) await client.close();
});

/** A server, a writer client on it, and the client under test behind a hostile transport. */
async function setup(create: () => ReturnType<(typeof ADAPTERS)[number]['create']>) {
  const server = makeServer(collections);
  const writer = await makeClient(collections, memoryAdapter(), directTransport(server));
  const tampering: Tampering = {};
  const storage = create();
  const client = await makeClient(collections, storage, hostileTransport(server, tampering));
  open.push(writer, client);
  const rejected = collect(client, 'remoteRejected');
  return { server, writer, client, storage, tampering, rejected };
}

/** Rewrites the data of the changes whose title is in `edits` (by title). */
const editPulled =
  (edits: Record<string, (data: Json) => Json>) =>
  (answer: Json): Json => {
    for (const change of answer['changes'] as Json[]) {
      const edit = edits[String(change['data']['title'])];
      if (edit) change['data'] = edit(change['data'] as Json);
    }
    return answer;
  };

describe.each(ADAPTERS)(
  'remote records are validated before they are stored ($name)',
  (adapter) => {
    it('a pull page: invalid and metadata-setting records stay out, the rest and the cursor go on', async () => {
      const { writer, client, storage, tampering, rejected } = await setup(adapter.create);
      for (const title of ['good', 'bad-type', 'meta']) {
        await writer.collection('todos').insert({ title, done: false });
      }
      await writer.sync();
      let pageCursor: unknown;
      tampering.pull = (answer) => {
        pageCursor = answer['cursor'];
        return editPulled({
          'bad-type': (d) => ({ ...d, title: 42 }),
          meta: (d) => ({
            ...d,
            id: 'forged',
            serverId: 'forged',
            syncStatus: 'pending',
            updatedAt: 0,
          }),
        })(answer);
      };

      const result = await client.sync();

      const rows = await client.collection('todos').find();
      expect(rows.map((r) => r['title'])).toEqual(['good']);
      expect((await rawRecords(storage, 'todos')).map((r) => r.data['title'])).toEqual(['good']);
      expect(result.pulled).toBe(1);
      expect(await storedCursor(storage)).toBe(pageCursor);
      const writerRows = await writer.collection('todos').find();
      const serverIdOf = (title: string) => writerRows.find((r) => r['title'] === title)?.serverId;
      expect(
        rejected.map((e) => ({
          source: e.source,
          collection: e.collection,
          serverId: e.serverId,
          code: e.error.code,
          path: e.error.issues[0]?.path,
        })),
      ).toEqual([
        {
          source: 'pull',
          collection: 'todos',
          serverId: serverIdOf('bad-type'),
          code: 'INVALID_REMOTE_RECORD',
          path: 'title',
        },
        {
          source: 'pull',
          collection: 'todos',
          serverId: serverIdOf('meta'),
          code: 'INVALID_REMOTE_RECORD',
          path: 'id',
        },
      ]);
      expect(rejected[0]?.error).toBeInstanceOf(TidesyncError);

      // A later valid version of a refused record arrives as usual.
      tampering.pull = undefined;
      const bad = writerRows.find((r) => r['title'] === 'bad-type');
      await writer.collection('todos').update(String(bad?.id), { done: true });
      await writer.sync();
      await client.sync();
      expect((await client.collection('todos').find()).map((r) => r['title']).sort()).toEqual([
        'bad-type',
        'good',
      ]);
    });

    it('a pulled update that fails the schema leaves the stored version as it was', async () => {
      const { writer, client, storage, tampering, rejected } = await setup(adapter.create);
      const w = await writer.collection('todos').insert({ title: 'one', done: false });
      await writer.sync();
      await client.sync();
      const before = await rawRecords(storage, 'todos');
      await writer.collection('todos').update(w.id, { done: true });
      await writer.sync();
      tampering.pull = editPulled({ one: (d) => ({ ...d, done: 'yes' }) });

      await client.sync();

      expect(await rawRecords(storage, 'todos')).toEqual(before);
      expect(rejected.map((e) => e.error.issues[0]?.path)).toEqual(['done']);
    });

    it('an applied push answer that fails the schema: the op is done, the local fields stay', async () => {
      const { client, storage, tampering, rejected } = await setup(adapter.create);
      const mine = await client.collection('todos').insert({ title: 'mine', done: false });
      tampering.push = (answer) => {
        for (const r of answer['results'] as Json[]) r['record']['data']['title'] = 123;
        return answer;
      };

      const result = await client.sync();

      expect(result.pushed).toBe(1);
      expect(await client.pendingOps()).toEqual([]);
      const [stored] = await rawRecords(storage, 'todos');
      expect(stored?.data).toEqual({ title: 'mine', done: false });
      expect(stored?.serverId).not.toBeNull();
      expect(stored?.syncStatus).toBe('synced');
      expect((await client.collection('todos').get(mine.id))?.['title']).toBe('mine');
      expect(rejected.map((e) => [e.source, e.serverId, e.error.code])).toEqual([
        ['push', stored?.serverId, 'INVALID_REMOTE_RECORD'],
      ]);
    });

    it('a conflict answer whose server record fails the schema: a dead letter, not a conflict', async () => {
      const { writer, client, storage, tampering, rejected } = await setup(adapter.create);
      const w = await writer.collection('todos').insert({ title: 'shared', done: false });
      await writer.sync();
      await client.sync();
      const [local] = await client.collection('todos').find();
      await writer.collection('todos').update(w.id, { title: 'theirs' });
      await writer.sync();
      await client.collection('todos').update(String(local?.id), { title: 'ours' });
      const other = await client.collection('todos').insert({ title: 'other', done: true });
      tampering.push = (answer) => {
        for (const r of answer['results'] as Json[])
          if (r['status'] === 'conflict') r['record']['data']['title'] = '';
        return answer;
      };
      tampering.pull = editPulled({ theirs: (d) => ({ ...d, title: '' }) });

      const result = await client.sync();

      expect(result.rejected).toBe(1);
      expect(await client.conflicts()).toEqual([]);
      const dead = await client.deadLetters();
      expect(dead.map((op) => [op.id, op.error?.code])).toEqual([
        [local?.id, 'INVALID_REMOTE_RECORD'],
      ]);
      expect((await client.collection('todos').get(String(local?.id)))?.['title']).toBe('ours');
      expect((await client.collection('todos').get(other.id))?.syncStatus).toBe('synced');
      const raw = await rawRecords(storage, 'todos');
      expect(raw.every((r) => r.conflict === null && r.data['title'] !== '')).toBe(true);
      expect(rejected.some((e) => e.source === 'push')).toBe(true);
    });

    it('a push answer mapping a new record onto a server id another record holds is refused', async () => {
      const { client, storage, tampering } = await setup(adapter.create);
      await client.collection('todos').insert({ title: 'first', done: false });
      await client.sync();
      const [first] = await rawRecords(storage, 'todos');
      const taken = String(first?.serverId);
      const second = await client.collection('todos').insert({ title: 'second', done: false });
      const before = await rawRecords(storage, 'todos');
      const opsBefore = (await client.pendingOps()).map((op) => op.opId);
      tampering.push = (answer) => {
        for (const r of answer['results'] as Json[]) {
          r['serverId'] = taken;
          r['record']['id'] = taken;
        }
        return answer;
      };

      const error = await client.sync().catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TidesyncError);
      expect((error as TidesyncError).code).toBe('PROTOCOL_ERROR');
      expect(await rawRecords(storage, 'todos')).toEqual(before);
      expect((await client.pendingOps()).map((op) => op.opId)).toEqual(opsBefore);

      // An honest answer afterwards gives the new record its own server id.
      tampering.push = undefined;
      await client.sync();
      const stored = await client.collection('todos').get(second.id);
      expect(stored?.serverId).not.toBeNull();
      expect(stored?.serverId).not.toBe(taken);
      expect((await client.collection('todos').get(taken))?.['title']).toBe('first');
    });

    it('fetchRemote(): an invalid answer is refused with INVALID_REMOTE_RECORD, and stays fetchable', async () => {
      const { client, storage, tampering, rejected } = await setup(adapter.create);
      const a = await client.collection('todos').insert({ title: 'a', done: false });
      const b = await client.collection('todos').insert({ title: 'b', done: false });
      await client.sync();
      await client.clearCache();
      tampering.get = (answer) => {
        for (const r of answer['records'] as Json[])
          if (r['data']['title'] === 'a') r['data'] = { ...r['data'], serverId: 'x' };
        return answer;
      };

      const error = await client
        .collection('todos')
        .fetchRemote(a.id)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TidesyncError);
      expect((error as TidesyncError).code).toBe('INVALID_REMOTE_RECORD');
      expect(await rawRecords(storage, 'todos')).toEqual([]);

      const found = await client.collection('todos').find({}, { remote: true });
      expect(found.map((r) => r['title'])).toEqual(['b']);
      expect(rejected.map((e) => [e.source, e.error.issues[0]?.path])).toEqual([
        ['fetch', 'serverId'],
        ['fetch', 'serverId'],
      ]);

      tampering.get = undefined;
      expect((await client.collection('todos').fetchRemote(a.id))?.['title']).toBe('a');
      expect((await client.collection('todos').get(b.id))?.['title']).toBe('b');
    });
  },
);
