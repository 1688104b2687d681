import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryServerStore } from 'tidesync/server';
import type { SyncServer } from 'tidesync/server';
import { call, makeServer, op } from './server-helpers.js';

describe('HTTP: real node server on 127.0.0.1', () => {
  let server: SyncServer;
  let httpServer: http.Server;
  let base: string;

  beforeAll(async () => {
    server = makeServer(memoryServerStore(), { maxBodyBytes: 1024 * 1024 });
    httpServer = http.createServer(server.nodeHandler);
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    httpServer.closeAllConnections();
    await new Promise((resolve) => httpServer.close(resolve));
  });

  const post = (path: string, body: unknown, user: string | null = 'alice') =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(user ? { 'x-user': user } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('pushes and pulls over HTTP under any mount prefix', async () => {
    for (const [i, mount] of ['', '/sync', '/api/v1/sync'].entries()) {
      const pushed = await post(`${mount}/push`, {
        protocol: 1,
        clientId: 'c1',
        ops: [op({ seq: i + 1, id: `r${i}` })],
      });
      expect(pushed.status).toBe(200);
      expect(((await pushed.json()) as { lastSeq: number }).lastSeq).toBe(i + 1);
    }
    const pulled = await post('/api/v1/sync/pull/', {
      protocol: 1,
      clientId: 'c1',
      cursor: null,
      limit: 10,
    });
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get('content-type')).toContain('application/json');
    const body = (await pulled.json()) as { changes: { id: string }[] };
    expect(body.changes.map((c) => c.id)).toEqual(['r0', 'r1', 'r2']);
  });

  it('answers 401, 404 and 405 with the error body', async () => {
    const anonymous = await post(
      '/sync/pull',
      { protocol: 1, clientId: 'c1', cursor: null, limit: 1 },
      null,
    );
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ protocol: 1, error: { code: 'unauthorized' } });
    const missing = await post('/sync/elsewhere', {});
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    const get = await fetch(`${base}/sync/pull`, { headers: { 'x-user': 'alice' } });
    expect(get.status).toBe(405);
  });

  it('refuses a 10 MB body with 413 before reading it all, and stays responsive', async () => {
    const huge = JSON.stringify({
      protocol: 1,
      clientId: 'c1',
      ops: [op({ seq: 99, data: { title: 'x'.repeat(10 * 1024 * 1024), done: false } })],
    });
    const answer = await post('/sync/push', huge);
    expect(answer.status).toBe(413);
    expect(await answer.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    // Streamed without a content-length: still stopped once past the limit.
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 160) controller.close();
        else {
          sent += 1;
          controller.enqueue(chunk);
        }
      },
    });
    const streamed = await fetch(`${base}/sync/push`, {
      method: 'POST',
      headers: { 'x-user': 'alice', 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const after = await post('/sync/pull', { protocol: 1, clientId: 'c1', cursor: null, limit: 1 });
    expect(after.status).toBe(200);
  });
});

describe('HTTP: server.fetch with web Requests', () => {
  it('handles a Request directly and refuses an oversized streamed body with 413', async () => {
    const server = makeServer(memoryServerStore(), { maxBodyBytes: 1000 });
    const ok = await call(
      server,
      'push',
      { protocol: 1, clientId: 'c1', ops: [op({ seq: 1 })] },
      { mount: '/api/v1/sync' },
    );
    expect(ok.status).toBe(200);
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(500));
      },
    });
    const response = await server.fetch(
      new Request('http://x/sync/push', {
        method: 'POST',
        headers: { 'x-user': 'alice', 'content-type': 'application/json' },
        body: endless,
        duplex: 'half',
      } as RequestInit),
    );
    expect(response.status).toBe(413);
    // It stopped reading an endless body shortly after the limit.
    expect(pulled).toBeLessThan(10);
  });
});

describe('HTTP: behind a middleware that already parsed the body', () => {
  it('uses the parsed req.body when the stream was consumed (express.json() style)', async () => {
    const server = makeServer(memoryServerStore());
    const httpServer = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        (req as http.IncomingMessage & { body?: unknown }).body = JSON.parse(
          Buffer.concat(chunks).toString(),
        );
        server.nodeHandler(req, res);
      });
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const port = (httpServer.address() as AddressInfo).port;
    try {
      const answer = await fetch(`http://127.0.0.1:${port}/api/push`, {
        method: 'POST',
        headers: { 'x-user': 'alice', 'content-type': 'application/json' },
        body: JSON.stringify({ protocol: 1, clientId: 'c1', ops: [op({ seq: 1 })] }),
      });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { lastSeq: number }).lastSeq).toBe(1);
    } finally {
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(resolve));
    }
  });
});
