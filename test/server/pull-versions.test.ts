// A pull answer tags its records with their stored schema version where it is built, and the
// client's versions are served from it without a copy of the records already at them.
import { describe, expect, it } from 'vitest';
import type { CollectionDefinition, PullRequest, WireRecord } from '../../src/core/index.js';
import { pullAtClientVersions } from '../../src/server/downcast-pull.js';
import { pullAnswer } from '../../src/server/pull-answer.js';
import { PullPage } from '../../src/server/pull-page.js';
import type { ServerContext } from '../../src/server/server-context.js';
import { todosV2, todosV3Reversible } from '../schema/todo-versions.js';

const hlc = '0001700000000000:00000:c1';

/** The context fields a pull answer reads. */
function contextOf(collection: CollectionDefinition): ServerContext {
  return {
    collections: new Map([[collection.name, collection]]),
    cursorSecret: 'secret',
    maxClockDriftMs: 60_000,
    now: () => 1_700_000_000_000,
  } as unknown as ServerContext;
}

/** A record as `toWireRecord` builds it for a page: untagged. */
function record(id: string, data: Record<string, unknown>, deleted = false): WireRecord {
  const fieldClocks = Object.fromEntries(Object.keys(data).map((key) => [key, hlc]));
  return {
    collection: 'todos',
    id,
    version: 1,
    data,
    fieldClocks,
    hlc,
    deleted,
    updatedAt: 1_700_000_000_000,
    originClientId: null,
    originId: null,
  };
}

function answerOf(ctx: ServerContext, records: readonly WireRecord[]) {
  const page = new PullPage(100, 1_000_000, undefined);
  for (const r of records) page.offer(r);
  const end = { position: 1, fingerprint: 0, hasMore: false, reset: false, remaining: undefined };
  return pullAnswer(ctx, 'epoch', page, end);
}

function request(schemaVersions: Record<string, number>): PullRequest {
  return { protocol: 1, clientId: 'c1', cursor: null, limit: 100, schemaVersions } as PullRequest;
}

describe('pull answer schema versions', () => {
  it('tags each change with the version its stored data is at', () => {
    const ctx = contextOf(todosV2);
    const answer = answerOf(ctx, [
      record('now', { title: 'a', done: false, priority: 1 }),
      record('before-deploy', { title: 'b', done: true }),
      record('gone', {}, true),
    ]);
    expect(answer.changes.map((c) => [c.id, c.schemaVersion])).toEqual([
      ['now', 2],
      ['before-deploy', 1],
      ['gone', 2],
    ]);
  });

  it('refuses a record of a newer deploy with 409 server_too_old', () => {
    const ctx = contextOf(todosV2);
    expect(() => answerOf(ctx, [record('newer', { name: 'x', done: 1 })])).toThrow(
      expect.objectContaining({ status: 409, wireCode: 'server_too_old' }),
    );
  });

  it('answers a page already at the client versions as it is, without copying a record', async () => {
    const ctx = contextOf(todosV2);
    const answer = answerOf(ctx, [record('a', { title: 'a', done: false, priority: 1 })]);
    const first = answer.changes[0];
    const served = await pullAtClientVersions(ctx, request({ todos: 2 }), async () => answer);
    expect(served).toBe(answer);
    expect(served.changes[0]).toBe(first);
  });

  it('moves only the records not at the client version, up or down', async () => {
    const ctx = contextOf(todosV3Reversible);
    const answer = answerOf(ctx, [
      record('v3', { name: 'n', done: false, priority: 2 }),
      record('v1', { title: 't', done: true }),
    ]);
    const [v3, v1] = answer.changes;
    const atV3 = await pullAtClientVersions(ctx, request({ todos: 3 }), async () => answer);
    expect(atV3.changes[0]).toBe(v3);
    expect(atV3.changes[1]).toMatchObject({
      schemaVersion: 3,
      data: { name: 't', done: true, priority: 0 },
    });
    const atV1 = await pullAtClientVersions(ctx, request({ todos: 1 }), async () => answer);
    expect(atV1.changes[0]).toMatchObject({ schemaVersion: 1, data: { title: 'n', done: false } });
    expect(atV1.changes[1]).toBe(v1);
    // The answer the page was read into is left as it was.
    expect(answer.changes).toEqual([v3, v1]);
    expect(v1).toMatchObject({ schemaVersion: 1, data: { title: 't', done: true } });
  });

  it('still tags a page read without tags, on a copy', async () => {
    const ctx = contextOf(todosV2);
    const untagged = record('a', { title: 'a', done: false, priority: 1 });
    const served = await pullAtClientVersions(ctx, request({ todos: 2 }), async () => ({
      ...answerOf(ctx, []),
      changes: [untagged],
    }));
    expect(served.changes[0]).toMatchObject({ id: 'a', schemaVersion: 2 });
    expect(untagged.schemaVersion).toBeUndefined();
  });
});
