// Issue 17: a pull with `appliedSeq` leaves out the requesting client's own echoes (states it
// wrote with a push seq up to it), moves its cursor past them, and leaves everything else as
// it was: other devices' writes, later writes, removals, re-bases.
import { describe, expect, it } from 'vitest';
import type { SyncServer } from 'tidesync/server';
import type { PullAnswer } from './server-helpers.js';
import { call, op, pull, push, storeKinds } from './server-helpers.js';
import { serverPerTest } from './server-per-test.js';

interface EchoOptions {
  readonly appliedSeq?: number;
  readonly limit?: number;
  readonly user?: string;
  readonly team?: string;
}

const pullWith = (
  server: SyncServer,
  clientId: string,
  cursor: string | null,
  { appliedSeq, limit = 100, user = 'alice', team }: EchoOptions = {},
) =>
  call<PullAnswer & { removed?: { id: string }[] }>(
    server,
    'pull',
    {
      protocol: 1,
      clientId,
      cursor,
      limit,
      ...(appliedSeq === undefined ? {} : { appliedSeq }),
    },
    { user, ...(team ? { team } : {}) },
  );

/** Every page from `cursor`; the ids of the changes, and the last cursor. */
async function pullIds(
  server: SyncServer,
  clientId: string,
  cursor: string | null,
  options: EchoOptions = {},
): Promise<{ ids: string[]; cursor: string | null; pages: number }> {
  const ids: string[] = [];
  let pages = 0;
  for (;;) {
    const answer = await pullWith(server, clientId, cursor, options);
    expect(answer.status).toBe(200);
    pages += 1;
    ids.push(...answer.body.changes.map((c) => c.id));
    cursor = answer.body.cursor;
    if (!answer.body.hasMore) return { ids, cursor, pages };
  }
}

describe.each(storeKinds())('pull leaves out the client’s own echoes: $name', (kind) => {
  const env = serverPerTest(kind);

  it('leaves out states this client wrote up to appliedSeq, and nothing else', async () => {
    await push(env.server, 'c1', [op({ seq: 1, id: 'a' }), op({ seq: 2, id: 'b' })]);
    await push(env.server, 'c2', [op({ seq: 1, id: 'other' })]);
    await push(env.server, 'c1', [op({ seq: 3, id: 'c' })]);
    // Another user, same client id pattern: never a candidate.
    await push(env.server, 'b1', [op({ seq: 1, id: 'bob' })], { user: 'bob' });
    expect((await pullIds(env.server, 'c1', null)).ids).toEqual(['a', 'b', 'other', 'c']);
    expect((await pullIds(env.server, 'c1', null, { appliedSeq: 2 })).ids).toEqual(['other', 'c']);
    expect((await pullIds(env.server, 'c1', null, { appliedSeq: 3 })).ids).toEqual(['other']);
    expect((await pullIds(env.server, 'c1', null, { appliedSeq: 0 })).ids).toEqual([
      'a',
      'b',
      'other',
      'c',
    ]);
    // Another device of the same user gets c1's writes whatever it says it applied.
    expect((await pullIds(env.server, 'c2', null, { appliedSeq: 9 })).ids).toEqual(['a', 'b', 'c']);
  });

  it('moves the cursor past the echoes it leaves out, also when they end the feed', async () => {
    await push(env.server, 'c2', [op({ seq: 1, id: 'first' })]);
    const ops = Array.from({ length: 7 }, (_, i) => op({ seq: i + 1, id: `e${i}` }));
    await push(env.server, 'c1', ops);
    const run = await pullIds(env.server, 'c1', null, { appliedSeq: 7, limit: 2 });
    expect(run.ids).toEqual(['first']);
    // Nothing after the cursor: a pull without appliedSeq from it finds no echo again.
    const after = await pullIds(env.server, 'c1', run.cursor);
    expect(after.ids).toEqual([]);
    // A later write of another device comes after them.
    await push(env.server, 'c2', [op({ seq: 2, id: 'next' })]);
    expect((await pullIds(env.server, 'c1', run.cursor, { appliedSeq: 7 })).ids).toEqual(['next']);
  });

  it('sends an echo again once another write replaced it, and the later state of a rewrite', async () => {
    await push(env.server, 'c1', [op({ seq: 1, id: 'a' })]);
    await push(env.server, 'c2', [
      op({
        seq: 1,
        id: 'a',
        serverId: 'a',
        type: 'update',
        patch: { title: 'theirs' },
        baseVersion: 1,
      }),
    ]);
    const answer = await pullWith(env.server, 'c1', null, { appliedSeq: 1 });
    expect(answer.body.changes.map((c) => [c.id, c.version, c.data['title']])).toEqual([
      ['a', 2, 'theirs'],
    ]);
  });

  it('leaves nothing out of a re-base (a cursor this store never issued)', async () => {
    await push(env.server, 'c1', [op({ seq: 1, id: 'a' })]);
    const forged = 'AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const answer = await pullWith(env.server, 'c1', forged, { appliedSeq: 1 });
    expect(answer.body.reset).toBe(true);
    expect(answer.body.changes.map((c) => c.id)).toEqual(['a']);
  });

  it('leaves out an echo of a scoped collection only while the user may see it', async () => {
    const board = op({ seq: 1, id: 'k', collection: 'boards', data: { name: 'p', team: 'red' } });
    await push(env.server, 'c1', [board], { team: 'red' });
    const red = await pullWith(env.server, 'c1', null, { team: 'red', appliedSeq: 1 });
    expect(red.body.changes).toEqual([]);
    expect((await pullWith(env.server, 'c1', null, { team: 'red' })).body.changes).toHaveLength(1);
    // Another device of a team member sees it.
    const other = await pullWith(env.server, 'c3', null, { user: 'bob', team: 'red' });
    expect(other.body.changes.map((c) => c.id)).toEqual(['k']);
  });

  it('counts the echoes out of `remaining` where the store filters them', async () => {
    await push(env.server, 'c2', [op({ seq: 1, id: 'theirs' })]);
    await push(
      env.server,
      'c1',
      Array.from({ length: 5 }, (_, i) => op({ seq: i + 1, id: `e${i}` })),
    );
    const answer = await call<{ remaining?: number; changes: unknown[] }>(env.server, 'pull', {
      protocol: 1,
      clientId: 'c1',
      cursor: null,
      limit: 100,
      appliedSeq: 5,
      countRemaining: true,
    });
    expect(answer.body.changes).toHaveLength(1);
    // An upper bound: at least the one change, at most every entry.
    expect(answer.body.remaining).toBeGreaterThanOrEqual(1);
    expect(answer.body.remaining).toBeLessThanOrEqual(6);
  });
});

describe('pull echoes: old clients', () => {
  const [memory] = storeKinds();
  const env = serverPerTest(memory!);

  it('without appliedSeq, every change comes back as before', async () => {
    await push(env.server, 'c1', [op({ seq: 1, id: 'a' })]);
    const answer = await pull(env.server, 'c1', null);
    expect(answer.body.changes.map((c) => c.id)).toEqual(['a']);
  });
});
