// TestHarness.restartClient and restartServer (S34's client crashes and server restarts): a
// resolved write survives a client restart and syncs; an op in flight when the client dies is
// re-sent and applied once; a push in flight when the server dies is retried and lands once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, lastWriteWins, NetworkError } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { memoryServerStore, type ServerStore } from 'tidesync/server';
import { createTestHarness, flushMicrotasks, type TestHarness } from 'tidesync/testing';

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ text: z.string() }),
  conflict: lastWriteWins(),
});

const dir = mkdtempSync(join(tmpdir(), 'tidesync-harness-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Lets real promise and stream callbacks run until `done()` holds (no timers, no sleeping). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) {
    await flushMicrotasks();
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(done()).toBe(true);
}

/**
 * A server store that counts committed record writes and can hold a push: at its first record
 * write (`'write'`, before anything commits) or right after its commit (`'commit'`).
 */
function gatedStore(inner: ServerStore) {
  const state = { committedWrites: 0, held: false };
  let hold: 'write' | 'commit' | undefined;
  let release: () => void = () => undefined;
  const gate = async (): Promise<void> => {
    state.held = true;
    await new Promise<void>((resolve) => (release = resolve));
    hold = undefined;
  };
  const store: ServerStore = {
    kind: 'gated',
    open: () => inner.open(),
    close: () => inner.close(),
    read: (fn) => inner.read(fn),
    async transaction(fn) {
      let writes = 0;
      const result = await inner.transaction((tx) =>
        fn(
          new Proxy(tx, {
            get(target, key) {
              const value: unknown = Reflect.get(target, key, target);
              if (key !== 'putRecord' || typeof value !== 'function') {
                return typeof value === 'function' ? value.bind(target) : value;
              }
              return async (...args: unknown[]) => {
                if (hold === 'write') await gate();
                writes += 1;
                return (value as (...a: unknown[]) => unknown).apply(target, args);
              };
            },
          }),
        ),
      );
      state.committedWrites += writes;
      if (writes > 0 && hold === 'commit') await gate();
      return result;
    },
  };
  return {
    store,
    state,
    holdAt: (where: 'write' | 'commit') => (hold = where),
    release: () => release(),
  };
}

async function serverTexts(h: TestHarness, observer: number): Promise<string[]> {
  await h.sync(observer);
  const rows = await h.clients[observer]!.collection('notes').find();
  return rows.map((r) => String(r.text)).sort();
}

describe('TestHarness.restartClient', () => {
  it('keeps a resolved write across the restart (memory storage) and syncs it', async () => {
    const h = await createTestHarness({ collections: [notes], clients: 2, network: { seed: 1 } });
    h.offline(0);
    const before = h.clients[0]!;
    const note = await before.collection('notes').insert({ text: 'written offline' });
    const after = await h.restartClient(0);
    expect(after).not.toBe(before);
    expect(h.clients[0]).toBe(after);
    expect(await after.collection('notes').get(note.id)).toMatchObject({
      text: 'written offline',
      syncStatus: 'pending',
    });
    h.online(0);
    await h.settle();
    await h.assertConverged();
    expect(await serverTexts(h, 1)).toEqual(['written offline']);
    await h.close();
  });

  it('reopens caller-supplied SQLite storage on the same file', async () => {
    const file = join(dir, 'client-0.db');
    const open = () => sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) });
    const h = await createTestHarness({
      collections: [notes],
      clients: [{ storage: open(), reopen: open }, {}],
      network: { seed: 2 },
    });
    const note = await h.clients[0]!.collection('notes').insert({ text: 'on disk' });
    await h.restartClient(0);
    expect(await h.clients[0]!.collection('notes').get(note.id)).toMatchObject({
      text: 'on disk',
    });
    await h.restartClient(0); // twice: the second restart closes the first reopened file
    await h.settle();
    await h.assertConverged();
    expect(await serverTexts(h, 1)).toEqual(['on disk']);
    await h.close();
  });

  it('refuses to restart a client given storage without reopen', async () => {
    const h = await createTestHarness({
      collections: [notes],
      clients: [
        { storage: sqliteAdapter({ driver: betterSqlite3Driver(new Database(':memory:')) }) },
      ],
    });
    await expect(h.restartClient(0)).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('reopen'),
    });
    await expect(h.restartClient(5)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await h.close();
  });

  it.each([
    ['after the server applied it', true],
    ['before it reached the server', false],
  ])(
    're-sends an op in flight when the client dies (%s) and applies it once',
    async (_, reached) => {
      const gated = gatedStore(memoryServerStore());
      const h = await createTestHarness({
        collections: [notes],
        clients: 2,
        server: { store: gated.store },
        network: { seed: 3, latencyMs: 10 },
      });
      await h.clients[0]!.collection('notes').insert({ text: 'in flight' });
      let oldSyncSettled = false;
      void h.clients[0]!.sync().finally(() => (oldSyncSettled = true));
      await until(() => h.clock.pendingTimers > 0); // the push is on the wire
      if (reached) {
        await h.clock.advance(10); // the request leg: the server applies the push
        await until(() => gated.state.committedWrites === 1);
      }
      await h.restartClient(0);
      expect(await h.clients[0]!.collection('notes').find()).toMatchObject([
        { text: 'in flight', syncStatus: 'pending' },
      ]);
      await h.settle();
      await h.assertConverged();
      expect(gated.state.committedWrites).toBe(1);
      expect(await serverTexts(h, 1)).toEqual(['in flight']);
      expect(oldSyncSettled).toBe(false); // the dead client never heard the answer
      await h.close();
    },
  );
});

describe('TestHarness.restartServer', () => {
  it.each([
    ['before its transaction commits', 'write' as const],
    ['after its transaction commits', 'commit' as const],
  ])('retries a push in flight when the server dies (%s) and lands it once', async (_, at) => {
    const gated = gatedStore(memoryServerStore());
    const h = await createTestHarness({
      collections: [notes],
      clients: 2,
      server: { store: gated.store },
      network: { seed: 4 },
    });
    const before = h.server;
    await h.clients[0]!.collection('notes').insert({ text: 'pushed' });
    gated.holdAt(at);
    const push = h.clients[0]!.sync();
    await until(() => gated.state.held);
    expect(gated.state.committedWrites).toBe(at === 'commit' ? 1 : 0);
    const after = await h.restartServer();
    expect(h.server).toBe(after);
    expect(after).not.toBe(before);
    gated.release();
    const error = await push.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).message).toMatch(/server restarted/);
    // Held before its commit, the dead server's transaction rolled back.
    expect(gated.state.committedWrites).toBe(at === 'commit' ? 1 : 0);
    expect(await h.clients[0]!.collection('notes').find()).toMatchObject([
      { text: 'pushed', syncStatus: 'pending' },
    ]);
    await h.settle();
    await h.assertConverged();
    expect(gated.state.committedWrites).toBe(1);
    expect(await serverTexts(h, 1)).toEqual(['pushed']);
    await h.close();
  });

  it('reopens the server store with reopenStore and closes the one it replaces', async () => {
    const file = join(dir, 'server.db');
    const { sqliteServerStore } = await import('tidesync/server');
    const dbs: Database.Database[] = [];
    const open = () => {
      const db = new Database(file);
      dbs.push(db);
      return sqliteServerStore(db);
    };
    const h = await createTestHarness({
      collections: [notes],
      clients: 2,
      server: { store: open(), reopenStore: open },
    });
    await h.clients[0]!.collection('notes').insert({ text: 'kept' });
    await h.settle();
    await h.restartServer();
    await h.clients[1]!.collection('notes').insert({ text: 'after restart' });
    await h.settle();
    await h.assertConverged();
    expect(dbs).toHaveLength(2);
    expect(await serverTexts(h, 0)).toEqual(['after restart', 'kept']);
    await h.close();
    for (const db of dbs) db.close();
  });
});
