import { describe, expect, it } from 'vitest';
import { httpTransport } from 'tidesync';

const ok = () => new Response(JSON.stringify({ fine: true }), { status: 200 });

function fetchSequence(...steps: (() => Response | Promise<Response>)[]) {
  const calls: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    calls.push(String(input));
    const step = steps.shift();
    if (!step) throw new Error('unexpected call');
    return step();
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

const reset = () => {
  throw new TypeError('fetch failed', {
    cause: Object.assign(new Error('other side closed'), { code: 'ECONNRESET' }),
  });
};

describe('httpTransport', () => {
  it('posts to the last path segment under the mount URL', async () => {
    const { calls, fetch } = fetchSequence(ok);
    await httpTransport({ url: 'https://api.example.com/v1/sync/', fetch }).send('pull', {});
    expect(calls).toEqual(['https://api.example.com/v1/sync/pull']);
  });

  it('retries once on a stale keep-alive socket (the request is idempotent)', async () => {
    const { calls, fetch } = fetchSequence(reset, ok);
    await expect(httpTransport({ url: 'http://x/sync', fetch }).send('push', {})).resolves.toEqual({
      fine: true,
    });
    expect(calls).toHaveLength(2);
  });

  it('does not retry when the server cannot be reached', async () => {
    const refused = () => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      });
    };
    const { calls, fetch } = fetchSequence(refused, ok);
    await expect(
      httpTransport({ url: 'http://x/sync', fetch }).send('push', {}),
    ).rejects.toMatchObject({
      code: 'NETWORK_UNAVAILABLE',
      retryable: true,
    });
    expect(calls).toHaveLength(1);
  });

  it('maps 5xx and 429 to retryable SERVER_ERROR with Retry-After in ms', async () => {
    const { fetch } = fetchSequence(
      () => new Response('slow down', { status: 429, headers: { 'retry-after': '3' } }),
    );
    await expect(
      httpTransport({ url: 'http://x/sync', fetch }).send('pull', {}),
    ).rejects.toMatchObject({
      code: 'SERVER_ERROR',
      retryable: true,
      retryAfterMs: 3000,
      status: 429,
    });
  });

  it('calls onUnauthorized once after a 401 and retries with fresh headers', async () => {
    let token = 'old';
    const seen: string[] = [];
    const fetch = (async (_input: string | URL | Request, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get('authorization') ?? '';
      seen.push(auth);
      return auth === 'Bearer new' ? ok() : new Response('no', { status: 401 });
    }) as typeof globalThis.fetch;
    const transport = httpTransport({
      url: 'http://x/sync',
      fetch,
      headers: async () => ({ authorization: `Bearer ${token}` }),
      onUnauthorized: () => void (token = 'new'),
    });
    await expect(transport.send('pull', {})).resolves.toEqual({ fine: true });
    expect(seen).toEqual(['Bearer old', 'Bearer new']);
  });

  it('raises a ProtocolError for a body that is not JSON (an HTML page with 200)', async () => {
    const { fetch } = fetchSequence(() => new Response('<html>login</html>', { status: 200 }));
    await expect(
      httpTransport({ url: 'http://x/sync', fetch }).send('pull', {}),
    ).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' });
  });

  it('leaves no listener on the caller’s signal after a request, and passes an abort on', async () => {
    const seen: AbortSignal[] = [];
    let release: () => void = () => undefined;
    const fetch = (async (_input: string | URL | Request, init?: RequestInit) => {
      seen.push(init!.signal!);
      if (seen.length === 3) {
        await new Promise<void>((resolve) => (release = resolve));
        init!.signal!.throwIfAborted();
      }
      return ok();
    }) as typeof globalThis.fetch;
    const parent = new AbortController();
    const listeners = { added: 0, removed: 0 };
    const add = parent.signal.addEventListener.bind(parent.signal);
    const remove = parent.signal.removeEventListener.bind(parent.signal);
    parent.signal.addEventListener = (...args: Parameters<typeof add>) => {
      listeners.added += 1;
      add(...args);
    };
    parent.signal.removeEventListener = (...args: Parameters<typeof remove>) => {
      listeners.removed += 1;
      remove(...args);
    };
    const transport = httpTransport({ url: 'http://x/sync', fetch });
    await transport.send('pull', {}, { signal: parent.signal });
    await transport.send('push', {}, { signal: parent.signal });
    expect(listeners).toEqual({ added: 2, removed: 2 });
    expect(seen[0]).not.toBe(parent.signal);

    const pending = transport.send('pull', {}, { signal: parent.signal });
    while (seen.length < 3) await Promise.resolve();
    parent.abort(new Error('client closed'));
    release();
    await expect(pending).rejects.toMatchObject({ code: 'NETWORK_UNAVAILABLE' });
    expect(seen[2]!.aborted).toBe(true);
    expect(listeners.removed).toBe(3);
  });

  it('refuses a URL that is not absolute http(s)', () => {
    expect(() => httpTransport({ url: 'ftp://x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => httpTransport({ url: '/relative' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
