import type http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSyncClient, defineCollection, httpTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import type { LocalServer } from './local-http-server.js';
import { drain, startLocalServer } from './local-http-server.js';

// Item 1 (issue 15): `maxResponseBytes` holds while the answer streams in. The server below
// produces up to 600 MB lazily (more than V8's longest string, ~512 MB), writing only when the
// socket drains, so how much it managed to write is how much the client read (plus socket
// buffers).
const MiB = 1024 * 1024;
const ENDLESS_BYTES = 600 * MiB;

interface Endless {
  readonly server: LocalServer;
  /** Bytes the server handed to the socket so far. */
  written(): number;
  /** Resolves when the client dropped the connection (or the whole body was sent). */
  readonly ended: Promise<void>;
}

async function endlessJson(headers: http.OutgoingHttpHeaders = {}): Promise<Endless> {
  let written = 0;
  let ended: () => void = () => {};
  const endedPromise = new Promise<void>((resolve) => (ended = resolve));
  const chunk = Buffer.alloc(256 * 1024, 'a');
  const server = await startLocalServer((req, res) => {
    void drain(req).then(() => {
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.on('close', ended);
      res.write('{"protocol":1,"pad":"');
      const pump = () => {
        while (written < ENDLESS_BYTES) {
          written += chunk.byteLength;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end('"}');
      };
      pump();
    });
  });
  return { server, written: () => written, ended: endedPromise };
}

let open: LocalServer | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe('httpTransport maxResponseBytes', () => {
  it('stops a 600 MB streamed answer just past the limit with RESPONSE_TOO_LARGE', async () => {
    const endless = await endlessJson();
    open = endless.server;
    const transport = httpTransport({ url: endless.server.url, maxResponseBytes: MiB });
    await expect(transport.send('pull', { protocol: 1 })).rejects.toMatchObject({
      name: 'ProtocolError',
      code: 'RESPONSE_TOO_LARGE',
    });
    await endless.ended;
    // Read stayed near the 1 MiB limit: the rest of the 600 MB was never produced.
    expect(endless.written()).toBeLessThan(32 * MiB);
  });

  it('gives a typed error with the default limit for an answer beyond the engine string limit', async () => {
    const endless = await endlessJson();
    open = endless.server;
    const transport = httpTransport({ url: endless.server.url });
    const error = await transport.send('pull', { protocol: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
    expect((error as Error).message).toContain('67108864-byte');
    await endless.ended;
    expect(endless.written()).toBeLessThan(64 * MiB + 32 * MiB);
  });

  it('refuses a declared content-length over the limit before reading the body', async () => {
    const endless = await endlessJson({ 'content-length': String(ENDLESS_BYTES + 23) });
    open = endless.server;
    const transport = httpTransport({ url: endless.server.url, maxResponseBytes: MiB });
    await expect(transport.send('pull', { protocol: 1 })).rejects.toMatchObject({
      code: 'RESPONSE_TOO_LARGE',
    });
    await endless.ended;
    expect(endless.written()).toBeLessThan(32 * MiB);
  });

  it('fails client.sync() with the typed error and keeps the outbox', async () => {
    const endless = await endlessJson();
    open = endless.server;
    const todos = defineCollection({ name: 'todos', schema: z.object({ title: z.string() }) });
    const client = await createSyncClient({
      collections: [todos],
      storage: memoryAdapter(),
      transport: httpTransport({ url: endless.server.url, maxResponseBytes: MiB }),
      triggers: [],
    });
    try {
      await client.collection('todos').insert({ title: 'kept' });
      await expect(client.sync()).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
      expect(client.status.pendingOps).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('refuses a limit that is not a positive integer', () => {
    for (const maxResponseBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => httpTransport({ url: 'http://127.0.0.1/sync', maxResponseBytes })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }),
      );
    }
  });
});
