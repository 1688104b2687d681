import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncClient } from 'tidesync';
import { memoryServerStore } from 'tidesync/server';
import type { ServerStore } from 'tidesync/server';
import type { Tokens } from './live-helpers.js';
import { liveDevice, openRaw, startServer, titles, until } from './live-helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const tokens: Tokens = new Map([['t-alice', { userId: 'alice' }]]);

async function device(url: string, extra = {}): Promise<SyncClient> {
  const client = await liveDevice(url, { token: 't-alice', ...extra });
  cleanups.push(() => client.close());
  return client;
}

async function writeAll(client: SyncClient, list: string[]): Promise<void> {
  for (const title of list) await client.collection('todos').insert({ title });
  await client.sync();
}

/** A TCP proxy that can cut every connection, and cuts those idle for `idleMs` (if set). */
async function startProxy(targetPort: number, idleMs?: number) {
  const sockets = new Set<net.Socket>();
  let cuts = 0;
  let streamCuts = 0;
  let pings = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    let isStream = false;
    const cut = () => {
      if (client.destroyed) return;
      cuts += 1;
      if (isStream) streamCuts += 1;
      client.destroy();
      upstream.destroy();
    };
    if (idleMs !== undefined) {
      client.setTimeout(idleMs, cut);
    }
    upstream.on('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').includes('text/event-stream')) isStream = true;
      pings += chunk.toString('latin1').split('event: ping').length - 1;
      client.write(chunk);
    });
    client.on('data', (chunk) => upstream.write(chunk));
    const end = () => {
      sockets.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const proxy = {
    url: `http://127.0.0.1:${port}/sync`,
    cuts: () => cuts,
    /** Cuts of live streams (idle keep-alive sockets of other requests not counted). */
    streamCuts: () => streamCuts,
    pings: () => pings,
    cutAll: () => {
      for (const socket of sockets) {
        cuts += 1;
        socket.destroy();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.cutAll();
        server.close(() => resolve());
      }),
  };
  cleanups.push(() => proxy.close());
  return proxy;
}

describe('live stream faults (S40)', () => {
  it('reconnects after the stream drops mid-event and misses nothing written meanwhile', async () => {
    const running = await startServer(memoryServerStore(), tokens);
    cleanups.push(() => running.close());
    let opens = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const cutting: typeof fetch = async (input, init) => {
      if (!String(input).endsWith('/live')) return fetch(input, init);
      opens += 1;
      const attempt = opens;
      if (attempt === 2) await gate;
      const response = await fetch(input, init);
      if (attempt !== 1) return response;
      const reader = response.body!.getReader();
      let chunks = 0;
      // Passes the `ready` event, then cuts the next event in half and fails the stream.
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          chunks += 1;
          if (chunks === 1) return controller.enqueue(value);
          controller.enqueue(value.subarray(0, Math.floor(value.byteLength / 2)));
          controller.error(new TypeError('terminated: other side closed'));
          await reader.cancel().catch(() => undefined);
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const writer = await device(running.url, { live: false });
    const reader = await device(running.url, { fetch: cutting });
    await until([reader], () => reader.status.live === 'connected');
    await writeAll(writer, ['one']);
    await until([reader], () => opens === 2);
    expect(reader.status.live).toBe('connecting');
    expect(await titles(reader)).toEqual([]);
    await writeAll(writer, ['two', 'three']);
    release();
    await until([reader], async () => (await titles(reader)).length === 3);
    expect(await titles(reader)).toEqual(['one', 'three', 'two']);
    expect(reader.status.live).toBe('connected');
  });

  it('reconnects after a server restart and pulls what was written while it was down', async () => {
    const store = memoryServerStore();
    const first = await startServer(store, tokens);
    const other = await startServer(store, tokens);
    cleanups.push(() => other.close());
    const writer = await device(other.url, { live: false });
    const reader = await device(first.url);
    await until([reader], () => reader.status.live === 'connected');
    await first.close();
    await until([reader], () => reader.status.live === 'connecting');
    await writeAll(writer, ['while down']);
    const restarted = await startServer(store, tokens, {}, first.port);
    cleanups.push(() => restarted.close());
    await until([reader], async () => (await titles(reader)).includes('while down'));
    // The catch-up pull may land before the new stream reports itself open: wait for both.
    await until([reader], () => reader.status.live === 'connected');
    expect(reader.status.live).toBe('connected');
  });

  it('keeps the stream through a proxy that cuts idle connections, thanks to the heartbeat', async () => {
    const running = await startServer(memoryServerStore(), tokens, { live: { heartbeatMs: 30 } });
    cleanups.push(() => running.close());
    const proxy = await startProxy(running.port, 300);
    const reader = await device(proxy.url);
    await until([reader], () => reader.status.live === 'connected');
    // Twenty heartbeats span twice the proxy's idle limit.
    await until([reader], () => proxy.pings() >= 20);
    expect(proxy.streamCuts()).toBe(0);
    expect(reader.status.live).toBe('connected');
  });

  it('misses nothing when a proxy cuts the stream while changes are written', async () => {
    const running = await startServer(memoryServerStore(), tokens);
    cleanups.push(() => running.close());
    const proxy = await startProxy(running.port, 200);
    const writer = await device(running.url, { live: false });
    const reader = await device(proxy.url);
    await until([reader], () => reader.status.live === 'connected');
    await writeAll(writer, ['a']);
    proxy.cutAll();
    await writeAll(writer, ['b']);
    // No heartbeat within the proxy's idle limit: it cuts idle streams again and again.
    await until([reader], () => proxy.streamCuts() >= 3);
    await writeAll(writer, ['c']);
    await until([reader], async () => (await titles(reader)).length === 3);
    expect(await titles(reader)).toEqual(['a', 'b', 'c']);
  });

  it('sends the headers that keep proxies from buffering the stream', async () => {
    const running = await startServer(memoryServerStore(), tokens);
    cleanups.push(() => running.close());
    const response = await fetch(`${running.url}/live`, {
      headers: { authorization: 'Bearer t-alice' },
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toContain('no-transform');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    await response.body?.cancel();
  });

  it('sends no poke before the push commits, and a pull on the poke sees the change', async () => {
    const inner = memoryServerStore();
    const gate: { hold?: Promise<void> } = {};
    let reachedCommit!: () => void;
    const atCommit = new Promise<void>((resolve) => (reachedCommit = resolve));
    const store: ServerStore = {
      kind: inner.kind,
      open: () => inner.open(),
      read: (fn) => inner.read(fn),
      close: () => inner.close(),
      transaction: (fn) =>
        inner.transaction(async (tx) => {
          const result = await fn(tx);
          if (gate.hold) {
            reachedCommit();
            await gate.hold;
          }
          return result;
        }),
    };
    const running = await startServer(store, tokens, { live: { heartbeatMs: 20 } });
    cleanups.push(() => running.close());
    const stream = await openRaw(running.url, 't-alice');
    cleanups.push(() => stream.close());
    await stream.next((e) => e.event === 'ready');
    const writer = await device(running.url, { live: false });
    const observer = await device(running.url, { live: false });
    await writer.collection('todos').insert({ title: 'held' });
    let release!: () => void;
    gate.hold = new Promise<void>((resolve) => (release = resolve));
    const pushing = writer.sync();
    await atCommit;
    const pingsBefore = stream.events.filter((e) => e.event === 'ping').length;
    // Heartbeats keep coming while the commit is held: the stream is alive, yet no poke.
    await stream.next((e) => e.event === 'ping' && stream.events.indexOf(e) >= pingsBefore + 3);
    expect(stream.events.some((e) => e.event === 'poke')).toBe(false);
    release();
    await pushing;
    await stream.next((e) => e.event === 'poke');
    await observer.sync();
    expect(await titles(observer)).toEqual(['held']);
  });
});
