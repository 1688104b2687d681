import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { NetworkError, type SyncClient } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { ADAPTERS, makeClient, makeClock, makeServer, type TestClient } from './storage-helpers.js';

/** Titles of every note the server holds, read by a fresh client. */
async function serverTitles(
  server: ReturnType<typeof makeServer>,
  clock: ReturnType<typeof makeClock>,
) {
  const reader = await makeClient(server, clock);
  await reader.client.sync();
  const titles = (await reader.client.collection('notes').find()).map((r) => r.title as string);
  await reader.client.close();
  return titles.sort();
}

/** Syncs until nothing is left to push. */
async function drain(client: SyncClient): Promise<void> {
  for (let i = 0; i < 10 && (await client.pendingOps()).length > 0; i++) await client.sync();
}

describe.each(ADAPTERS)('S29: retention and clearCache during sync on $name', ({ create }) => {
  it('dropping the cache while a push and a pull are on the wire loses nothing pending', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    let during: (kind: string) => Promise<void> = async () => undefined;
    const a: TestClient = await makeClient(server, clock, {
      storage: create(),
      policy: { maxRecords: 0 },
      onSend: (kind) => during(kind),
    });
    const notes = a.client.collection('notes');
    await notes.insertMany(['w1', 'w2', 'w3'].map((title) => ({ title, tag: 't' })));
    const written = ['w1', 'w2', 'w3'];
    const seen = new Set<string>();
    during = async (kind) => {
      // Once per kind: each push would otherwise carry the write made during the one before.
      if (seen.has(kind)) return;
      seen.add(kind);
      const title = `during-${kind}`;
      await notes.insert({ title, tag: 't' });
      written.push(title);
      await a.client.clearCache();
      await a.client.applyRetention();
      // Ops on the wire are in flight, the new write is queued: all must still be here.
      expect((await a.client.pendingOps()).length).toBeGreaterThan(0);
    };
    await a.client.sync();
    expect([...seen].sort()).toEqual(['pull', 'push']);
    await drain(a.client);
    expect(await serverTitles(server, clock)).toEqual([...written].sort());
    expect((await a.client.storageStats()).collections['notes']?.live).toBe(0);
    await a.client.close();
  });

  it('concurrent syncs, writes, retention runs and cache clears converge with every write on the server', async () => {
    const clock = makeClock();
    const server = makeServer(clock);
    const a = await makeClient(server, clock, { storage: create(), policy: { maxRecords: 2 } });
    const notes = a.client.collection('notes');
    const written: string[] = [];
    for (let round = 0; round < 6; round++) {
      const titles = [`r${round}a`, `r${round}b`];
      written.push(...titles);
      await Promise.all([
        a.client.sync(),
        notes.insert({ title: titles[0]!, tag: 't' }),
        a.client.clearCache(),
        notes.insert({ title: titles[1]!, tag: 't' }),
        a.client.applyRetention(),
      ]);
    }
    await drain(a.client);
    expect(await serverTitles(server, clock)).toEqual([...written].sort());
    // Everything synced, so retention has cut the device down to its cap.
    expect((await a.client.storageStats()).collections['notes']?.live).toBeLessThanOrEqual(2);
    await a.client.close();
  });
});

describe('S29 after a crash mid-push (SQLite file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidesync-retention-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a restarted client keeps in-flight and queued records through retention and clearCache', async () => {
    const file = join(dir, 'crash.sqlite');
    const clock = makeClock();
    const server = makeServer(clock);
    const first = await makeClient(server, clock, {
      storage: sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) }),
      onSend: async (kind) => {
        if (kind === 'push') {
          throw new NetworkError('NETWORK_UNAVAILABLE', 'cable pulled', { retryable: true });
        }
      },
    });
    await first.client
      .collection('notes')
      .insertMany(['c1', 'c2'].map((title) => ({ title, tag: 't' })));
    await expect(first.client.sync()).rejects.toMatchObject({ code: 'NETWORK_UNAVAILABLE' });
    // The process dies here: `first` is never closed. A new one opens the same file.
    const second = await makeClient(server, clock, {
      storage: sqliteAdapter({ driver: betterSqlite3Driver(new Database(file)) }),
      policy: { maxRecords: 0, maxAgeMs: 1 },
    });
    expect((await second.client.pendingOps()).map((op) => op.state)).toEqual([
      'inflight',
      'inflight',
    ]);
    clock.setNow(clock.now() + 86_400_000);
    expect((await second.client.applyRetention()).total).toBe(0);
    expect((await second.client.clearCache()).total).toBe(0);
    expect(await second.client.collection('notes').find()).toHaveLength(2);
    await drain(second.client);
    expect(await serverTitles(server, clock)).toEqual(['c1', 'c2']);
    await second.client.close();
  });
});
