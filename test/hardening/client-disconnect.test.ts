import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncServer } from 'tidesync/server';
import { memoryServerStore } from 'tidesync/server';
import { makeServer, op, pullAll } from '../server/server-helpers.js';

// Item 14 (issue 15): a client that sends half a body and closes its socket is the client's
// network, not a server failure: the operator's onError must not hear of it.

type Mount = (server: SyncServer) => http.RequestListener;

/** The fetch handler behind a minimal Node bridge that streams the body (as Hono's adapter does). */
const viaFetch: Mount = (server) => (req, res) => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const request = new Request(`http://127.0.0.1${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit);
  void server.fetch(request).then(async (response) => {
    res.writeHead(response.status, { 'content-type': 'application/json' });
    res.end(await response.text());
  });
};

const viaNode: Mount = (server) => server.nodeHandler;

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(listener: http.RequestListener): Promise<number> {
  const httpServer = http.createServer(listener);
  servers.push(httpServer);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return (httpServer.address() as AddressInfo).port;
}

/** Sends the head and the first half of a push body on a raw socket, then closes it. */
function sendHalfAndClose(port: number, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `POST /sync/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `X-User: alice\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
      );
      socket.write(body.slice(0, Math.floor(body.length / 2)), () => {
        // Let the server start reading the body, then leave.
        setImmediate(() => {
          socket.destroy();
          resolve();
        });
      });
    });
    socket.on('error', reject);
  });
}

describe.each([
  ['nodeHandler', viaNode],
  ['fetch handler', viaFetch],
] as const)('a client that disconnects mid-upload (%s)', (_name, mount) => {
  it('is not reported to onError, applies nothing, and the server keeps serving', async () => {
    const errors: Error[] = [];
    const server = makeServer(memoryServerStore(), { onError: (error) => errors.push(error) });
    const listener = mount(server);
    let closed = 0;
    let allClosed: () => void = () => {};
    const fiveClosed = new Promise<void>((resolve) => (allClosed = resolve));
    const port = await listen((req, res) => {
      req.on('close', () => {
        if (!req.complete && ++closed === 5) allClosed();
      });
      listener(req, res);
    });
    const body = JSON.stringify({
      protocol: 1,
      clientId: 'c1',
      ops: [op({ seq: 1, id: 'half', data: { title: 'x'.repeat(64 * 1024), done: false } })],
    });
    for (let i = 0; i < 5; i++) await sendHalfAndClose(port, body);
    await fiveClosed;
    // A whole request after the aborted ones proves they were all handled and the server lives.
    const whole = await fetch(`http://127.0.0.1:${port}/sync/pull`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'alice' },
      body: JSON.stringify({ protocol: 1, clientId: 'c2', cursor: null, limit: 10 }),
    });
    expect(whole.status).toBe(200);
    expect(((await whole.json()) as { changes: unknown[] }).changes).toEqual([]);
    expect(errors).toEqual([]);
    const { changes } = await pullAll(server, 'c3');
    expect(changes).toEqual([]);
  });
});
