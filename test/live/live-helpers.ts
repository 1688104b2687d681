import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  createSyncClient,
  defineCollection,
  httpTransport,
  lastWriteWins,
  liveTrigger,
} from 'tidesync';
import { SseParser } from '../../src/core/index.js';
import type { LiveTriggerOptions, StreamEvent, SyncClient, SyncTrigger, Timers } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { createSyncServer, memoryServerStore } from 'tidesync/server';
import { createLocalChannel } from '../../src/server/live/live-channel.js';
import type { LiveChannel } from '../../src/server/server-store.js';
import type { ServerStore, SyncServer, SyncServerOptions } from 'tidesync/server';

export const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string() }),
  conflict: lastWriteWins(),
});
/** Visible to every user of the record's team (the `x-team` header of the token's user). */
export const boards = defineCollection({
  name: 'boards',
  schema: z.object({ name: z.string(), team: z.string() }),
  conflict: lastWriteWins(),
  scope: (record, user) => record.data['team'] === user['team'],
});
export const collections = [todos, boards];

/** Tokens -> users; delete a token to make it expire. */
export type Tokens = Map<string, { userId: string; team?: string }>;

export function tokenAuthorize(tokens: Tokens): SyncServerOptions['authorize'] {
  return (request) => {
    const token = request.headers.get('authorization')?.replace(/^Bearer /, '') ?? '';
    return tokens.get(token) ?? null;
  };
}

/** A sync server on 127.0.0.1 (a free port), stopped with `close()`. */
export interface RunningServer {
  readonly server: SyncServer;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startServer(
  store: ServerStore,
  tokens: Tokens,
  options: Partial<SyncServerOptions> = {},
  port = 0,
): Promise<RunningServer> {
  const server = createSyncServer({
    collections,
    store,
    authorize: tokenAuthorize(tokens),
    onError: () => {},
    ...options,
  });
  const httpServer = http.createServer(server.nodeHandler);
  await new Promise<void>((resolve) => httpServer.listen(port, '127.0.0.1', resolve));
  const actual = (httpServer.address() as AddressInfo).port;
  return {
    server,
    url: `http://127.0.0.1:${actual}/sync`,
    port: actual,
    async close() {
      server.closeLive();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/** Client options for {@link liveDevice}. */
export interface DeviceOptions {
  readonly token: string;
  readonly live?: LiveTriggerOptions | false;
  readonly triggers?: SyncTrigger[];
  readonly fetch?: typeof fetch;
  readonly timers?: Timers;
  readonly onUnauthorized?: () => void;
}

/** A device: a memory-backed client over HTTP with `liveTrigger()` (fast reconnects). */
export async function liveDevice(url: string, options: DeviceOptions): Promise<SyncClient> {
  const live =
    options.live === false
      ? []
      : [liveTrigger({ baseDelayMs: 20, maxDelayMs: 200, ...(options.live ?? {}) })];
  return createSyncClient({
    collections,
    storage: memoryAdapter(),
    transport: httpTransport({
      url,
      headers: () => ({ authorization: `Bearer ${options.token}` }),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.onUnauthorized ? { onUnauthorized: options.onUnauthorized } : {}),
    }),
    triggers: [...live, ...(options.triggers ?? [])],
    ...(options.timers ? { timers: options.timers } : {}),
  });
}

/** Resolves when `check` holds, re-checked on every status or change event of `clients`. */
export function until(
  clients: readonly SyncClient[],
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const offs: (() => void)[] = [];
    const finish = () => {
      done = true;
      clearInterval(poll);
      for (const off of offs) off();
      resolve();
    };
    const test = () => {
      if (done) return;
      Promise.resolve(check()).then((ok) => ok && !done && finish(), reject);
    };
    for (const client of clients) {
      const onEvent = () => test();
      client.on('status', onEvent);
      client.on('change', onEvent);
      offs.push(
        () => client.off('status', onEvent),
        () => client.off('change', onEvent),
      );
    }
    // Events cover almost everything; this covers a check on server-side state.
    const poll = setInterval(test, 25);
    test();
  });
}

/** Titles of the device's todos, sorted. */
export async function titles(client: SyncClient): Promise<string[]> {
  const rows = await client.collection('todos').find({});
  return rows.map((r) => String(r['title'])).sort();
}

/** A raw `/live` stream read with the SSE parser, collecting its events. */
export interface RawStream {
  readonly status: number;
  readonly events: StreamEvent[];
  /** Resolves with the first event (from now on or already received) that matches. */
  next(match: (event: StreamEvent) => boolean): Promise<StreamEvent>;
  close(): void;
}

export async function openRaw(
  url: string,
  token: string | null,
  body: unknown = { protocol: 1 },
  init: { method?: string } = {},
): Promise<RawStream> {
  const abort = new AbortController();
  const response = await fetch(`${url}/live`, {
    method: init.method ?? 'POST',
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      'content-type': 'application/json',
    },
    ...(init.method === 'GET' ? {} : { body: JSON.stringify(body) }),
    signal: abort.signal,
  });
  const events: StreamEvent[] = [];
  const waiters: { match: (e: StreamEvent) => boolean; resolve: (e: StreamEvent) => void }[] = [];
  const isStream = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  if (isStream && response.body) {
    const reader = response.body.getReader();
    const parser = new SseParser();
    const decoder = new TextDecoder();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        for (const event of parser.push(decoder.decode(value, { stream: true }))) {
          events.push(event);
          for (const waiter of [...waiters]) {
            if (waiter.match(event)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(event);
            }
          }
        }
      }
    })().catch(() => undefined);
  }
  return {
    status: response.status,
    events,
    next(match) {
      const found = events.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    close: () => abort.abort(),
  };
}

/** The `position` of a poke, ping or ready event. */
export function positionOf(event: StreamEvent): number {
  return (JSON.parse(event.data) as { position: number }).position;
}

/** `inner` with its commits announced on `liveChannel` instead of its own channel. */
export function withChannel(inner: ServerStore, liveChannel: LiveChannel): ServerStore {
  return {
    kind: inner.kind,
    open: () => inner.open(),
    read: (fn) => inner.read(fn),
    transaction: (fn) => inner.transaction(fn),
    close: () => inner.close(),
    liveChannel,
  };
}

/**
 * A memory store whose live notices are lost while `losing()` says so (each lost one counted by
 * `onLost`), as an instance that died between its commit and its NOTIFY would lose them.
 */
export function lossyStore(
  losing: () => boolean,
  onLost: () => void = () => undefined,
): ServerStore {
  const local = createLocalChannel();
  return withChannel(memoryServerStore(), {
    publish: (change, on) => {
      if (!losing()) return local.publish(change, on);
      onLost();
      return Promise.resolve();
    },
    subscribe: (listener, onResync) => local.subscribe(listener, onResync),
  });
}
