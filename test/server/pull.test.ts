import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteServerStore } from 'tidesync/server';
import { makeServer, op, pull, pullAll, push, storeKinds } from './server-helpers.js';
import { serverPerTest } from './server-per-test.js';

const cursorOf = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(storeKinds())('pull: $name', (kind) => {
  const env = serverPerTest(kind);

  it('pages with small limits and returns every change exactly once, deletes as tombstones', async () => {
    const ops = Array.from({ length: 25 }, (_, i) => op({ seq: i + 1, id: `r${i}` }));
    await push(env.server, 'c1', ops);
    await push(env.server, 'c1', [
      op({ seq: 26, id: 'r3', serverId: 'r3', type: 'delete', baseVersion: 1 }),
      op({
        seq: 27,
        id: 'r4',
        serverId: 'r4',
        type: 'update',
        patch: { title: 'new' },
        baseVersion: 1,
      }),
    ]);
    // Another user's records are in the feed too, and must be skipped, not returned.
    await push(
      env.server,
      'b1',
      Array.from({ length: 10 }, (_, i) => op({ seq: i + 1, id: `b${i}` })),
      { user: 'bob' },
    );
    const pages: number[] = [];
    let cursor: string | null = null;
    const seen: { id: string; version: number; deleted: boolean }[] = [];
    for (;;) {
      const answer = await pull(env.server, 'c1', cursor, 4);
      expect(answer.status).toBe(200);
      expect(answer.body.changes.length).toBeLessThanOrEqual(4);
      expect(answer.body.reset).toBe(false);
      pages.push(answer.body.changes.length);
      seen.push(...answer.body.changes);
      cursor = answer.body.cursor;
      if (!answer.body.hasMore) break;
    }
    expect(pages.length).toBeGreaterThanOrEqual(7);
    expect(seen.map((c) => c.id).sort()).toEqual(
      Array.from({ length: 25 }, (_, i) => `r${i}`).sort(),
    );
    expect(seen.find((c) => c.id === 'r3')).toMatchObject({ deleted: true, version: 2 });
    expect(seen.find((c) => c.id === 'r4')).toMatchObject({ version: 2 });
    // Caught up: nothing more, same position.
    const again = await pull(env.server, 'c1', cursor, 4);
    expect(again.body.changes).toEqual([]);
    expect(again.body.hasMore).toBe(false);
    // A later change shows up after the cursor.
    await push(env.server, 'c1', [
      op({
        seq: 28,
        id: 'r0',
        serverId: 'r0',
        type: 'update',
        patch: { done: true },
        baseVersion: 1,
      }),
    ]);
    expect(
      (await pullAll(env.server, 'c1', cursor, 4)).changes.map((c) => [c.id, c.version]),
    ).toEqual([['r0', 2]]);
  });

  it('caps the page at maxPullLimit', async () => {
    const capped = makeServer(env.store, { maxPullLimit: 3 });
    await push(
      capped,
      'c1',
      Array.from({ length: 5 }, (_, i) => op({ seq: i + 1, id: `r${i}` })),
    );
    const answer = await pull(capped, 'c1', null, 1000);
    expect(answer.body.changes).toHaveLength(3);
    expect(answer.body.hasMore).toBe(true);
  });

  it('resets for a cursor of another epoch, beyond the head, or garbage — never a 500', async () => {
    await push(env.server, 'c1', [op({ seq: 1, id: 'a' }), op({ seq: 2, id: 'b' })]);
    const { cursor } = await pullAll(env.server, 'c1');
    // The cursor is sealed: flipping any byte, or a cursor in the old clear-text form, resets.
    const bytes = Buffer.from(cursor!, 'base64url');
    const flipped = (at: number) => {
      const copy = Buffer.from(bytes);
      copy[at] = copy[at]! ^ 1;
      return copy.toString('base64url');
    };
    const candidates = [
      flipped(0),
      flipped(5),
      flipped(bytes.length - 1),
      cursor!.slice(0, -2),
      cursorOf({ e: 'another-epoch', p: 1 }),
      cursorOf({ e: 'x', p: 2 ** 60 }),
      cursorOf({ __proto__: { e: 'x' } }),
      'not base64 at all !!!',
      '',
      cursorOf([1, 2, 3]),
    ];
    for (const bad of candidates) {
      const answer = await pull(env.server, 'c1', bad, 100);
      expect(answer.status).toBe(200);
      expect(answer.body.reset).toBe(true);
      expect(answer.body.changes.map((c) => c.id)).toEqual(['a', 'b']);
    }
    expect(({} as Record<string, unknown>)['e']).toBeUndefined();
    const fine = await pull(env.server, 'c1', cursor, 100);
    expect(fine.body).toMatchObject({ reset: false, changes: [] });
  });

  it('answers reset to a client whose cursor came from a store that was rebuilt (new epoch)', async () => {
    await push(env.server, 'c1', [op({ seq: 1, id: 'a' })]);
    const { cursor: old } = await pullAll(env.server, 'c1');
    await push(env.server, 'c1', [op({ seq: 2, id: 'b' }), op({ seq: 3, id: 'c' })]);
    const { cursor: ahead } = await pullAll(env.server, 'c1', old);
    // A fresh store with the same epoch but less data stands in for a restored backup.
    const fresh = await kind.create();
    const restored = makeServer(fresh.store);
    await push(restored, 'c1', [op({ seq: 1, id: 'a' })]);
    const answer = await pull(restored, 'c1', ahead, 100);
    expect(answer.body.reset).toBe(true);
    expect(answer.body.changes.map((c) => c.id)).toEqual(['a']);
    await fresh.store.close();
    await fresh.cleanup();
  });
});

describe('pull: restore from an older backup (sqlite file copy)', () => {
  it('answers reset when the cursor is beyond the restored store’s head (same epoch)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidesync-restore-'));
    const live = new Database(join(dir, 'live.db'));
    try {
      const server = makeServer(sqliteServerStore(live));
      await push(server, 'c1', [op({ seq: 1, id: 'a' })]);
      live.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      copyFileSync(join(dir, 'live.db'), join(dir, 'backup.db'));
      await push(server, 'c1', [op({ seq: 2, id: 'b' }), op({ seq: 3, id: 'c' })]);
      const { cursor } = await pullAll(server, 'c1');
      const backup = new Database(join(dir, 'backup.db'));
      try {
        const restored = makeServer(sqliteServerStore(backup));
        const answer = await pull(restored, 'c1', cursor, 100);
        expect(answer.body.reset).toBe(true);
        expect(answer.body.changes.map((c) => c.id)).toEqual(['a']);
      } finally {
        backup.close();
      }
    } finally {
      live.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
