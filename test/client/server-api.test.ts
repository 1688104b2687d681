// The client's one port to the server: every request and every parse of a reply goes through it.
import { describe, expect, it } from 'vitest';
import type { Transport } from 'tidesync';
import { PROTOCOL_VERSION } from 'tidesync';
import { ServerApi } from '../../src/client/sync/server-api.js';

function replying(reply: unknown): { transport: Transport; bodies: unknown[] } {
  const bodies: unknown[] = [];
  const transport: Transport = {
    send: (_kind, body) => {
      bodies.push(body);
      return Promise.resolve(reply);
    },
  };
  return { transport, bodies };
}

const refusal = (code: string) => ({ protocol: PROTOCOL_VERSION, error: { code, message: 'no' } });

describe('ServerApi', () => {
  it('sends the protocol and client id with each request and returns the parsed reply', async () => {
    const { transport, bodies } = replying({ protocol: PROTOCOL_VERSION, records: [] });
    const answer = await new ServerApi(transport, 'c1').get('todos', ['a']);
    expect(answer).toEqual({ ok: true, reply: { protocol: PROTOCOL_VERSION, records: [] } });
    expect(bodies).toEqual([
      { protocol: PROTOCOL_VERSION, clientId: 'c1', collection: 'todos', ids: ['a'] },
    ]);
  });

  it('returns an error body as a refusal, with seq_gap details', async () => {
    const gap = {
      protocol: PROTOCOL_VERSION,
      error: { code: 'seq_gap', message: 'g', lastSeq: 4 },
    };
    const answer = await new ServerApi(replying(gap).transport, 'c1').push([]);
    expect(answer).toEqual({ ok: false, refusal: { code: 'seq_gap', message: 'g', lastSeq: 4 } });
  });

  it('refuses a malformed reply with PROTOCOL_ERROR', async () => {
    const api = new ServerApi(replying({ protocol: PROTOCOL_VERSION, nope: 1 }).transport, 'c1');
    await expect(api.pull({ cursor: null, limit: 10 })).rejects.toMatchObject({
      code: 'PROTOCOL_ERROR',
    });
  });

  it('turns refusals into typed errors: forbidden push is USER_MISMATCH, a refused get PROTOCOL_ERROR', async () => {
    const api = new ServerApi(replying(refusal('forbidden')).transport, 'c1');
    const push = await api.push([]);
    const get = await api.get('todos', ['a']);
    if (push.ok || get.ok) throw new Error('expected refusals');
    expect(api.refusalError('push', push.refusal).code).toBe('USER_MISMATCH');
    expect(api.refusalError('get', get.refusal).code).toBe('PROTOCOL_ERROR');
    expect(api.refusalError('pull', { code: 'server_too_old', message: 'x' }).code).toBe(
      'SERVER_TOO_OLD',
    );
  });

  it('offers the transport stream only when the transport has one', () => {
    expect(new ServerApi(replying({}).transport, 'c1').openStream).toBeUndefined();
    const streaming: Transport = {
      send: () => Promise.resolve({}),
      openStream: () => Promise.resolve((async function* () {})()),
    };
    expect(new ServerApi(streaming, 'c1').openStream).toBeTypeOf('function');
  });
});
