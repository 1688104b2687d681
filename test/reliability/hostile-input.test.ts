// I9 hostile input, over real HTTP (S20, S22-S25): what test/server/hostile-input.test.ts does not
// cover already — other users' records and op ids over the wire, prototype keys in names and ids,
// huge strings and batches through node:http — and the client's side: malformed server answers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSyncClient, defineCollection, httpTransport, ProtocolError } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, memoryServerStore, type SyncServer } from 'tidesync/server';

const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string(), done: z.boolean() }),
});
const HLC = `${String(Date.now()).padStart(15, '0')}:000000:`;

let server: SyncServer;
let listener: http.Server;
let url: string;

beforeAll(async () => {
  server = createSyncServer({
    collections: [todos],
    store: memoryServerStore(),
    authorize: (request) => ({ userId: request.headers.get('x-user') ?? 'anon' }),
    maxBodyBytes: 1024 * 1024,
    onError: () => undefined,
  });
  listener = http.createServer(server.nodeHandler);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/sync`;
});
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

async function post(kind: string, body: unknown, user: string) {
  const response = await fetch(`${url}/${kind}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user': user },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, body: json as Record<string, unknown> };
}

/** Distinct opIds and user names for each case (a counter: nothing here is random). */
let unique = 0;

function op(seq: number, id: string, extra: Record<string, unknown> = {}) {
  return {
    opId: `op-${id}-${seq}-${(unique += 1)}`,
    seq,
    collection: 'todos',
    id,
    serverId: null,
    type: 'insert',
    data: { title: id, done: false },
    baseVersion: 0,
    hlc: `${HLC}${extra['node'] ?? 'n1'}`,
    fieldClocks: {},
    ...extra,
  };
}

/** Everything `user` can pull, from the start. */
async function ownerView(user: string, clientId: string) {
  const all: unknown[] = [];
  let cursor: string | null = null;
  for (;;) {
    const r = await post('pull', { protocol: 1, clientId, cursor, limit: 1000 }, user);
    expect(r.status).toBe(200);
    const page = r.body as { changes: unknown[]; cursor: string; hasMore: boolean };
    all.push(...page.changes);
    cursor = page.cursor;
    if (!page.hasMore) return JSON.stringify(all);
  }
}

describe('hostile input over HTTP: the server answers 4xx and changes nothing', () => {
  let aliceOpId: string;
  let bobSeq = 0;
  const nextBob = () => ++bobSeq;

  beforeAll(async () => {
    const first = op(1, 'alice-1');
    aliceOpId = first.opId;
    const r = await post('push', { protocol: 1, clientId: 'alice-phone', ops: [first] }, 'alice');
    if (JSON.stringify(r.body).indexOf('"applied"') < 0) throw new Error('setup push failed');
    // bob's client exists, with its own record
    const b = await post(
      'push',
      { protocol: 1, clientId: 'bob-phone', ops: [op(nextBob(), 'bob-1', { node: 'n2' })] },
      'bob',
    );
    if (JSON.stringify(b.body).indexOf('"applied"') < 0) throw new Error('setup push failed');
  });

  const hostile: [string, () => { body: unknown; user: string }][] = [
    [
      'bob updates alice’s record',
      () => ({
        user: 'bob',
        body: {
          protocol: 1,
          clientId: 'bob-phone',
          ops: [
            op(nextBob(), 'alice-1', {
              type: 'update',
              serverId: 'alice-1',
              data: null,
              patch: { title: 'pwned' },
              baseVersion: 1,
              node: 'n2',
            }),
          ],
        },
      }),
    ],
    [
      'bob deletes alice’s record',
      () => ({
        user: 'bob',
        body: {
          protocol: 1,
          clientId: 'bob-phone',
          ops: [
            op(nextBob(), 'alice-1', {
              type: 'delete',
              serverId: 'alice-1',
              data: null,
              baseVersion: 1,
              node: 'n2',
            }),
          ],
        },
      }),
    ],
    [
      'bob inserts over alice’s id',
      () => ({
        user: 'bob',
        body: {
          protocol: 1,
          clientId: 'bob-phone',
          ops: [op(nextBob(), 'alice-1', { data: { title: 'mine now', done: true }, node: 'n2' })],
        },
      }),
    ],
    [
      'bob replays alice’s push with her clientId',
      () => ({
        user: 'bob',
        body: { protocol: 1, clientId: 'alice-phone', ops: [op(2, 'alice-2')] },
      }),
    ],
    [
      'bob forges alice’s opId on his own client',
      () => ({
        user: 'bob',
        body: {
          protocol: 1,
          clientId: 'bob-phone',
          ops: [
            {
              ...op(nextBob(), 'alice-1', {
                type: 'update',
                serverId: 'alice-1',
                data: null,
                patch: { title: 'x' },
                baseVersion: 1,
                node: 'n2',
              }),
              opId: aliceOpId,
            },
          ],
        },
      }),
    ],
    [
      'a __proto__ collection name',
      () => ({
        user: 'alice',
        body: {
          protocol: 1,
          clientId: 'alice-phone',
          ops: [op(2, 'p1', { collection: '__proto__' })],
        },
      }),
    ],
    [
      'a constructor record id',
      () => ({
        user: 'alice',
        body: {
          protocol: 1,
          clientId: 'alice-phone',
          ops: [
            op(2, 'constructor', {
              data: { title: 'c', done: false, constructor: { prototype: { polluted: true } } },
            }),
          ],
        },
      }),
    ],
    [
      'a 2 MB string field',
      () => ({
        user: 'alice',
        body: {
          protocol: 1,
          clientId: 'alice-phone',
          ops: [op(2, 'big', { data: { title: 'x'.repeat(2 * 1024 * 1024), done: false } })],
        },
      }),
    ],
    [
      'a 100,000-op batch',
      () => ({
        user: 'alice',
        body: {
          protocol: 1,
          clientId: 'alice-phone',
          ops: Array.from({ length: 100_000 }, (_, i) => ({ opId: `o${i}`, seq: i + 2 })),
        },
      }),
    ],
    [
      '5,000-level nesting in data',
      () => ({
        user: 'alice',
        body: `{"protocol":1,"clientId":"alice-phone","ops":[{"opId":"n","seq":2,"collection":"todos","id":"n","serverId":null,"type":"insert","data":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)},"baseVersion":0,"hlc":"${HLC}n1","fieldClocks":{}}]}`,
      }),
    ],
    [
      'wrong types everywhere',
      () => ({
        user: 'alice',
        body: {
          protocol: 1,
          clientId: 42,
          ops: [{ opId: [], seq: 'two', collection: null, id: {}, type: 'upsert' }],
        },
      }),
    ],
    [
      'a title of the wrong type',
      () => ({
        user: 'alice',
        body: {
          protocol: 1,
          clientId: 'alice-phone',
          ops: [op(2, 'typed', { data: { title: 7, done: 'yes' } })],
        },
      }),
    ],
  ];

  it.each(hostile)(
    '%s: 4xx or a per-op forbidden/rejected outcome, no data changed',
    async (_name, make) => {
      const aliceBefore = await ownerView('alice', 'alice-observer');
      const bobBefore = await ownerView('bob', 'bob-observer');
      const { body, user } = make();
      const r = await post('push', body, user);
      const text = JSON.stringify(r.body);
      const results = (r.body as { results?: { status: string }[] }).results ?? [];
      const verdict =
        r.status === 200
          ? results.length > 0 && results.every((x) => x.status === 'rejected')
            ? text.includes('"title":"alice-1"')
              ? 'leaked another user’s record'
              : 'refused per op'
            : `accepted: ${text.slice(0, 200)}`
          : r.status >= 400 && r.status < 500 && /"error":\{"code":"[a-z_]+","message"/.test(text)
            ? 'refused with 4xx'
            : `answered ${r.status}: ${text.slice(0, 200)}`;
      expect(verdict).toMatch(/^refused/);
      expect(await ownerView('alice', 'alice-observer')).toBe(aliceBefore);
      expect(await ownerView('bob', 'bob-observer')).toBe(bobBefore);
      expect(Object.prototype).not.toHaveProperty('polluted');
    },
  );

  it('keeps serving honest requests after all of the above', async () => {
    // Per-op rejections consumed push seqs; the server names the next one it expects.
    const probe = await post(
      'push',
      { protocol: 1, clientId: 'alice-phone', ops: [op(2, 'probe')] },
      'alice',
    );
    const lastSeq =
      (probe.body as { error?: { lastSeq?: number }; lastSeq?: number }).error?.lastSeq ?? 2;
    const r = await post(
      'push',
      { protocol: 1, clientId: 'alice-phone', ops: [op(lastSeq + 1, 'alice-2')] },
      'alice',
    );
    expect(r.body).toMatchObject({ results: [{ status: 'applied' }], lastSeq: lastSeq + 1 });
    expect(await ownerView('alice', 'alice-observer')).toContain('"id":"alice-2"');
  });
});

describe('hostile server answers: the client raises ProtocolError, keeps its outbox, stores nothing', () => {
  type Tamper = (kind: string, body: Record<string, unknown>) => unknown;
  const clientWith = (tamper: Tamper, user: string) =>
    createSyncClient({
      collections: [todos],
      storage: memoryAdapter(),
      transport: httpTransport({
        url,
        headers: { 'x-user': user },
        fetch: async (input, init) => {
          const kind = String(input).split('/').pop() ?? '';
          // A hostile server answers with whole records: it ignores the push's `lean` flag.
          const sent =
            kind === 'push' && typeof init?.body === 'string'
              ? { ...init, body: JSON.stringify({ ...JSON.parse(init.body), lean: undefined }) }
              : init;
          const response = await fetch(input, sent);
          const body = (await response.json()) as Record<string, unknown>;
          const out = tamper(kind, body);
          return new Response(typeof out === 'string' ? out : JSON.stringify(out), {
            status: response.status,
            headers: { 'content-type': typeof out === 'string' ? 'text/html' : 'application/json' },
          });
        },
      }),
    });

  const pushTampers: [string, Tamper][] = [
    ['HTML with 200', (k, b) => (k === 'push' ? '<html>oops</html>' : b)],
    ['no results', (k, b) => (k === 'push' ? { ...b, results: [] } : b)],
    [
      'an ack for an unknown opId',
      (k, b) =>
        k === 'push'
          ? {
              ...b,
              results: (b['results'] as { opId: string }[]).map((r) => ({ ...r, opId: 'forged' })),
            }
          : b,
    ],
    ['wrong types', (k, b) => (k === 'push' ? { ...b, results: 'yes', lastSeq: -1 } : b)],
    ['another protocol version', (k, b) => (k === 'push' ? { ...b, protocol: 99 } : b)],
    [
      'a __proto__ key in a returned record',
      (k, b) =>
        k === 'push'
          ? JSON.parse(
              JSON.stringify(b).replace('"data":{', '"data":{"__proto__":{"polluted":true},'),
            )
          : b,
    ],
  ];

  it.each(pushTampers)('push answered with %s', async (_name, tamper) => {
    const user = `push-${(unique += 1)}`;
    const client = await clientWith(tamper, user);
    await client.collection('todos').insert({ title: 'keep me', done: false });
    const before = (await client.pendingOps()).map((o) => o.opId);
    const error = await client.sync().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((await client.pendingOps()).map((o) => o.opId)).toEqual(before);
    expect(await client.collection('todos').find()).toMatchObject([
      { title: 'keep me', serverId: null, syncStatus: 'pending' },
    ]);
    expect(await client.deadLetters()).toEqual([]);
    expect(Object.prototype).not.toHaveProperty('polluted');
    await client.close();
  });

  const pullTampers: [string, Tamper][] = [
    ['HTML with 200', (k, b) => (k === 'pull' ? '<html>oops</html>' : b)],
    [
      'a change with wrong types',
      (k, b) =>
        k === 'pull' ? { ...b, changes: [{ collection: 'todos', id: 7, version: 'new' }] } : b,
    ],
    [
      'a __proto__ key in a change',
      (k, b) =>
        k === 'pull'
          ? {
              ...b,
              changes: [
                {
                  collection: 'todos',
                  id: 'evil',
                  version: 1,
                  data: JSON.parse('{"__proto__":{"polluted":true},"title":"x","done":false}'),
                  hlc: `${HLC}n9`,
                  fieldClocks: {},
                  deleted: false,
                  updatedAt: 1,
                  originClientId: null,
                  originId: null,
                },
              ],
            }
          : b,
    ],
    [
      '10,000-level nesting in a change',
      (k, b) =>
        k === 'pull'
          ? `{"protocol":1,"changes":[{"collection":"todos","id":"deep","version":1,"data":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)},"hlc":"${HLC}n9","fieldClocks":{},"deleted":false,"updatedAt":1,"originClientId":null,"originId":null}],"cursor":"c","hasMore":false,"reset":false}`
          : b,
    ],
    ['a missing cursor', (k, b) => (k === 'pull' ? { ...b, cursor: undefined } : b)],
  ];

  it.each(pullTampers)('pull answered with %s', async (_name, tamper) => {
    const user = `pull-${(unique += 1)}`;
    const seed = await clientWith((_k, b) => b, user);
    await seed.collection('todos').insert({ title: 'from the server', done: true });
    await seed.sync();
    await seed.close();
    const client = await clientWith(tamper, user);
    const error = await client.sync().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(await client.collection('todos').find()).toEqual([]);
    expect(Object.prototype).not.toHaveProperty('polluted');
    await client.close();
  });
});
