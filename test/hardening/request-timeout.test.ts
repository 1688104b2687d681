import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NetworkError, createSyncClient, defineCollection, httpTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import type { LocalServer } from './local-http-server.js';
import { drain, startLocalServer } from './local-http-server.js';

// Issue 21 (transport): a blackholed request must not stall sync. These servers accept the
// request and then never finish their answer; the transport's timeoutMs ends it.

let open: LocalServer | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

/** Reads the request, then never answers. */
const silent = () => startLocalServer((req) => void drain(req));

/** Sends the status line and half a JSON body, then stalls forever. */
const stalling = () =>
  startLocalServer((req, res) => {
    void drain(req).then(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"protocol":1,"changes":[');
    });
  });

describe('httpTransport timeoutMs', () => {
  it.each([
    ['never answers', silent],
    ['stalls in the middle of its body', stalling],
  ])('fails as a retryable NETWORK_UNAVAILABLE when the server %s', async (_name, start) => {
    open = await start();
    const transport = httpTransport({ url: open.url, timeoutMs: 100 });
    const error = await transport.send('pull', { protocol: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'NETWORK_UNAVAILABLE', retryable: true });
    expect((error as Error).message).toContain('timeoutMs');
  });

  it('lets client.sync() reject with the typed error and keeps the outbox', async () => {
    open = await silent();
    const todos = defineCollection({ name: 'todos', schema: z.object({ title: z.string() }) });
    const client = await createSyncClient({
      collections: [todos],
      storage: memoryAdapter(),
      transport: httpTransport({ url: open.url, timeoutMs: 100 }),
      triggers: [],
    });
    try {
      await client.collection('todos').insert({ title: 'kept' });
      await expect(client.sync()).rejects.toMatchObject({ code: 'NETWORK_UNAVAILABLE' });
      expect(client.status.pendingOps).toBe(1);
      expect(client.status.lastError).toMatchObject({ code: 'NETWORK_UNAVAILABLE' });
    } finally {
      await client.close();
    }
  });

  it('refuses a timeoutMs that is not a positive integer', () => {
    for (const timeoutMs of [0, -5, 2.5, Number.POSITIVE_INFINITY]) {
      expect(() => httpTransport({ url: 'http://127.0.0.1/sync', timeoutMs })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }),
      );
    }
  });
});
