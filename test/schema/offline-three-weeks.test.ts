// A device offline for three weeks on version 1 while the server moves to version 3 (v2 adds
// `priority` with a default, v3 renames `title` to `name`): every write it made lands as a
// version-3 record, none is dead-lettered, and a version-3 device sees them.
import { describe, expect, it } from 'vitest';
import { TidesyncError } from 'tidesync';
import { createTestHarness } from 'tidesync/testing';
import { todosV1, todosV2, todosV3, todosV3Reversible } from './todo-versions.js';

const WEEK_MS = 7 * 86_400_000;

async function syncError(run: Promise<unknown>): Promise<TidesyncError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TidesyncError))
    throw new Error(`expected a TidesyncError, got ${String(error)}`);
  return error;
}

describe('a version-1 device offline while the server moves to version 3', () => {
  it('syncs every write as version-3 records with zero dead letters; its pull says UPGRADE_REQUIRED', async () => {
    const h = await createTestHarness({ collections: [todosV1], clients: 2 });
    const [old, other] = [h.clients[0]!, h.clients[1]!];
    // A record both devices know before the device goes offline (stored on the server at v1).
    const shared = await old.collection('todos').insert({ title: 'buy milk', done: false });
    await h.settle();

    h.offline(0);
    const fresh = await old.collection('todos').insert({ title: 'call mum', done: false });
    await old.collection('todos').update(fresh.id, { done: true });
    const gone = await old.collection('todos').insert({ title: 'temp', done: false });
    await old.collection('todos').delete(gone.id);

    // Three weeks: the server is deployed at v2, then at v3; the other device updates the app.
    await h.clock.advance(WEEK_MS);
    await h.restartServer({ collections: [todosV2] });
    await h.clock.advance(WEEK_MS);
    await h.restartServer({ collections: [todosV3] });
    const current = await h.restartClient(1, { collections: [todosV3] });
    expect(await current.collection('todos').get(shared.id)).toMatchObject({
      name: 'buy milk',
      priority: 0,
    });
    // The version-3 device changes another field of the shared record meanwhile (field merge).
    await current.collection('todos').update(shared.id, { priority: 2 });
    await h.sync(1);
    await h.clock.advance(WEEK_MS);
    // Later, still offline on version 1, the device renames the shared todo: its patch touches
    // only `title`, so it must land on `name` and leave the newer `priority` alone.
    await old.collection('todos').update(shared.id, { title: 'buy oat milk' });

    h.online(0);
    const error = await syncError(h.sync(0));
    expect(error.code).toBe('UPGRADE_REQUIRED');
    expect(old.status.lastError).toMatchObject({ code: 'UPGRADE_REQUIRED' });
    expect(old.status.pendingOps).toBe(0);
    expect(await old.deadLetters()).toEqual([]);

    await h.sync(1);
    const rows = await current.collection('todos').find({ orderBy: [['name', 'asc']] });
    expect(rows.map(({ name, done, priority }) => ({ name, done, priority }))).toEqual([
      { name: 'buy oat milk', done: false, priority: 2 },
      { name: 'call mum', done: true, priority: 0 },
    ]);
    expect(other).not.toBe(current);

    // The app updates at last: its storage is migrated at open, and it converges.
    await h.restartClient(0, { collections: [todosV3] });
    await h.settle();
    await h.assertConverged();
    await h.close();
  });

  it('with reverse migrations on the server, the version-1 device also reads at its version', async () => {
    const h = await createTestHarness({ collections: [todosV1], clients: 2 });
    const old = h.clients[0]!;
    h.offline(0);
    await old.collection('todos').insert({ title: 'offline write', done: false });
    await h.restartServer({ collections: [todosV3Reversible] });
    const current = await h.restartClient(1, { collections: [todosV3Reversible] });
    await current.collection('todos').insert({ name: 'written at v3', done: true, priority: 1 });
    await h.sync(1);

    h.online(0);
    await h.sync(0);
    expect(old.status.lastError).toBeNull();
    const seen = await old.collection('todos').find({ orderBy: [['title', 'asc']] });
    expect(seen.map(({ title, done }) => ({ title, done }))).toEqual([
      { title: 'offline write', done: false },
      { title: 'written at v3', done: true },
    ]);
    expect(seen.every((r) => r.syncStatus === 'synced' && !('name' in r))).toBe(true);
    await h.sync(1);
    expect((await current.collection('todos').find()).map((r) => r.name).sort()).toEqual([
      'offline write',
      'written at v3',
    ]);
    await h.close();
  });
});
