import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresServerStore } from 'tidesync/server';
import type { SyncServer } from 'tidesync/server';
import { postgresUrl, uniqueSchema } from './postgres-fixture.js';
import { jittery, slowCommits } from './postgres-jitter.js';
import { makeServer, op, pull, push } from './server-helpers.js';

const url = postgresUrl();

describe.runIf(url !== undefined)('postgres: concurrent writers on two server instances', () => {
  const schema = uniqueSchema();
  const pools: pg.Pool[] = [];
  let servers: SyncServer[];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) pools.push(new pg.Pool({ connectionString: url, max: 5 }));
    servers = pools.map((pool) =>
      makeServer(jittery(postgresServerStore(slowCommits(pool, 4), { schema }), 0, 4)),
    );
  });
  afterAll(async () => {
    await pools[0]?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await Promise.all(pools.map((pool) => pool.end()));
  });

  it('lets a continuous reader see every change exactly once (no skips, no duplicates)', async () => {
    const written = new Map<string, number>();
    const writer = async (w: number) => {
      let seq = 0;
      for (let batch = 0; batch < 50; batch++) {
        const size = 1 + (batch % 3);
        const ops = Array.from({ length: size }, (_, i) =>
          op({ seq: seq + i + 1, id: `w${w}-${batch}-${i}` }),
        );
        // Alternate instances, so one client's pushes land on both.
        const answer = await push(servers[(w + batch) % 2]!, `writer-${w}`, ops);
        expect(answer.status).toBe(200);
        for (const result of answer.body.results) {
          if (result.status === 'applied') written.set(result.serverId, result.version);
        }
        seq += size;
      }
    };
    const seen = new Map<string, number>();
    const duplicates: string[] = [];
    let cursor: string | null = null;
    let quiet = false;
    let pulls = 0;
    const take = (changes: { id: string; version: number }[]) => {
      for (const change of changes) {
        if (seen.get(change.id) === change.version)
          duplicates.push(`${change.id}@${change.version}`);
        seen.set(change.id, change.version);
      }
    };
    const reader = (async () => {
      while (!quiet) {
        // Small pages, and every other pull a large one: a reader that keeps up with the head of
        // the feed is where a commit landing below its cursor would be skipped.
        const limit = pulls % 2 === 0 ? 3 : 1000;
        const answer = await pull(servers[pulls % 2]!, 'reader', cursor, limit);
        pulls += 1;
        expect(answer.status).toBe(200);
        expect(answer.body.reset).toBe(false);
        take(answer.body.changes);
        cursor = answer.body.cursor;
      }
    })();
    await Promise.all([0, 1, 2, 3].map(writer));
    quiet = true;
    await reader;
    // A final drain after quiet.
    for (;;) {
      const answer = await pull(servers[0]!, 'reader', cursor, 3);
      take(answer.body.changes);
      cursor = answer.body.cursor;
      if (!answer.body.hasMore) break;
    }
    expect(duplicates).toEqual([]);
    expect(written.size).toBe(4 * (17 * 1 + 17 * 2 + 16 * 3));
    expect([...seen.entries()].sort()).toEqual([...written.entries()].sort());
    expect(pulls).toBeGreaterThan(20);
    // And one more pull after quiet adds nothing.
    const last = await pull(servers[1]!, 'reader', cursor, 100);
    expect(last.body.changes).toEqual([]);
  });

  it('applies one of two copies of a batch landing on both instances at once', async () => {
    for (let round = 0; round < 10; round++) {
      const ops = [1, 2, 3].map((n) => op({ seq: round * 3 + n, id: `dup-${round}-${n}` }));
      const answers = await Promise.all([
        push(servers[0]!, 'dup-client', ops),
        push(servers[1]!, 'dup-client', ops),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(answers[1]!.body.results).toEqual(answers[0]!.body.results);
      expect(answers[0]!.body.results.map((r) => (r.status === 'applied' ? r.version : 0))).toEqual(
        [1, 1, 1],
      );
    }
  });

  it('serialises concurrent inserts of one new id from two users without a 500', async () => {
    const answers = await Promise.all([
      push(servers[0]!, 'race-a', [op({ seq: 1, id: 'contested' })], { user: 'ann' }),
      push(servers[1]!, 'race-b', [op({ seq: 1, id: 'contested' })], { user: 'ben' }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const outcomes = answers.map((a) => a.body.results[0]!.status).sort();
    expect(outcomes).toEqual(['applied', 'rejected']);
  });
});

if (url === undefined) {
  describe('postgres: concurrent writers (needs TIDESYNC_PG_URL)', () => {
    it('runs only where Postgres is configured, and CI always configures it', () => {
      expect(process.env['CI']).not.toBe('true');
    });
  });
}
