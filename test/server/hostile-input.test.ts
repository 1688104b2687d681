import { describe, expect, it } from 'vitest';
import { call, hlcAt, makeServer, op, pullAll, push, storeKinds } from './server-helpers.js';
import { serverPerTest } from './server-per-test.js';

const nested = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

describe.each(storeKinds())('hostile input: $name', (kind) => {
  const env = serverPerTest(kind, { maxOpsPerBatch: 50, maxBodyBytes: 256 * 1024 }, (server) =>
    push(server, 'c1', [op({ seq: 1, id: 'base' })]),
  );

  const good = () => op({ seq: 2, id: 'x' });
  const pushBody = (ops: unknown[], extra: Record<string, unknown> = {}) => ({
    protocol: 1,
    clientId: 'c1',
    ops,
    ...extra,
  });

  const cases: [string, string, number, string, string?][] = [
    [
      'wrong types',
      JSON.stringify(pushBody([{ ...good(), seq: '2' }])),
      400,
      'bad_request',
      'ops.0.seq',
    ],
    [
      'a negative seq',
      JSON.stringify(pushBody([{ ...good(), seq: -1 }])),
      400,
      'bad_request',
      'ops.0.seq',
    ],
    [
      'a fractional baseVersion',
      JSON.stringify(pushBody([{ ...good(), baseVersion: 0.5 }])),
      400,
      'bad_request',
      'ops.0.baseVersion',
    ],
    [
      'an unknown op type',
      JSON.stringify(pushBody([{ ...good(), type: 'upsert' }])),
      400,
      'bad_request',
      'ops.0.type',
    ],
    [
      'a number past 2^53',
      JSON.stringify(pushBody([good()])).replace('"seq":2', '"seq":9007199254740993'),
      400,
      'bad_request',
      'ops.0.seq',
    ],
    [
      'a bad clock',
      JSON.stringify(pushBody([{ ...good(), hlc: '2099-01-01' }])),
      400,
      'bad_request',
      'ops.0.hlc',
    ],
    [
      '__proto__ at depth in data',
      JSON.stringify(pushBody([good()])).replace(
        '"data":{',
        '"data":{"deep":{"x":{"__proto__":{"polluted":true}}},',
      ),
      400,
      'bad_request',
      'ops.0.data',
    ],
    [
      'constructor.prototype in a patch',
      JSON.stringify(
        pushBody([
          { ...good(), type: 'update', patch: { constructor: { prototype: { polluted: true } } } },
        ]),
      ),
      400,
      'bad_request',
      'ops.0.patch',
    ],
    [
      '10,000-level nesting in data',
      JSON.stringify(pushBody([good()])).replace('"data":{', `"data":{"deep":${nested(10_000)},`),
      400,
      'bad_request',
    ],
    ['10,000-level nesting at the top', nested(10_000), 400, 'protocol_version'],
    [
      'a wrong protocol',
      JSON.stringify(pushBody([good()], { protocol: 2 })),
      400,
      'protocol_version',
      'protocol',
    ],
    [
      'a missing protocol',
      JSON.stringify({ clientId: 'c1', ops: [good()] }),
      400,
      'protocol_version',
    ],
    ['an empty ops array', JSON.stringify(pushBody([])), 400, 'bad_request', 'ops'],
    [
      'ops over maxOpsPerBatch',
      JSON.stringify(pushBody(Array.from({ length: 51 }, (_, i) => op({ seq: i + 2 })))),
      413,
      'payload_too_large',
    ],
    ['invalid JSON', '{"protocol":1,', 400, 'bad_request'],
    ['a JSON array', '[1,2,3]', 400, 'bad_request'],
    ['JSON null', 'null', 400, 'bad_request'],
    ['an empty body', '', 400, 'bad_request'],
    [
      'a 2,000-char clientId',
      JSON.stringify(pushBody([good()], { clientId: 'c'.repeat(2000) })),
      400,
      'bad_request',
      'clientId',
    ],
  ];

  it.each(cases)(
    'refuses a push with %s with a 4xx error body and changes nothing',
    async (_name, raw, status, code, path) => {
      const answer = await call<{ error: { code: string; message: string } }>(
        env.server,
        'push',
        undefined,
        { raw },
      );
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ protocol: 1, error: { code } });
      expect(answer.body.error.message).toContain(path ?? '');
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
      const { changes } = await pullAll(env.server, 'c1');
      expect(changes.map((c) => c.id)).toEqual(['base']);
      // lastSeq unchanged: seq 2 is still the next one.
      expect((await push(env.server, 'c1', [op({ seq: 2, id: 'next' })])).body.lastSeq).toBe(2);
    },
  );

  it('stores a __proto__ key in fieldClocks inert (dropped), polluting nothing', async () => {
    const raw = JSON.stringify(pushBody([good()])).replace(
      '"fieldClocks":{}',
      `"fieldClocks":{"__proto__":"${hlcAt(1)}","title":"${hlcAt(2)}"}`,
    );
    const answer = await call<{ results: { record: { fieldClocks: object } }[] }>(
      env.server,
      'push',
      undefined,
      { raw },
    );
    expect(answer.status).toBeLessThan(500);
    expect(Object.prototype).not.toHaveProperty('title');
    const { changes } = await pullAll(env.server, 'c1');
    for (const change of changes) {
      const clocks = (change as unknown as { fieldClocks: object }).fieldClocks;
      expect(Object.hasOwn(clocks, '__proto__')).toBe(false);
      expect(Object.getPrototypeOf(clocks)).toBe(Object.prototype);
    }
  });

  it('refuses bad pull and get requests with 4xx', async () => {
    const bad: [string, unknown, number][] = [
      ['pull', { protocol: 1, clientId: 'c1', cursor: null, limit: 0 }, 400],
      ['pull', { protocol: 1, clientId: 'c1', cursor: null, limit: 1e9 }, 400],
      ['pull', { protocol: 1, clientId: 'c1', cursor: 5, limit: 10 }, 400],
      ['pull', { protocol: 1, clientId: 'c1', cursor: 'x'.repeat(5000), limit: 10 }, 400],
      ['get', { protocol: 1, clientId: 'c1', collection: 'todos', ids: [] }, 400],
      ['get', { protocol: 1, clientId: 'c1', collection: '__proto__', ids: ['a'] }, 400],
      [
        'get',
        {
          protocol: 1,
          clientId: 'c1',
          collection: 'todos',
          ids: Array.from({ length: 1001 }, (_, i) => `${i}`),
        },
        400,
      ],
    ];
    for (const [kindName, body, status] of bad) {
      const answer = await call<{ error: { code: string } }>(env.server, kindName, body);
      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toBe('bad_request');
    }
  });

  it('answers 401 without a user and 404 for an unknown route, changing nothing', async () => {
    const anonymous = await push(env.server, 'c1', [op({ seq: 2, id: 'x' })], { user: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error?.code).toBe('unauthorized');
    const unknown = await call<{ error: { code: string } }>(env.server, 'delete-everything', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await pullAll(env.server, 'c1')).changes.map((c) => c.id)).toEqual(['base']);
  });

  it('answers 401 when authorize throws', async () => {
    const throwing = makeServer(env.store, {
      authorize: () => {
        throw new Error('bad token');
      },
    });
    const answer = await push(throwing, 'c1', [op({ seq: 2, id: 'x' })]);
    expect(answer.status).toBe(401);
  });
});
