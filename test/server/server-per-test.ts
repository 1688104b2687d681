// A fresh store of one backend and a server on it for each test, closed after it.
import { afterEach, beforeEach } from 'vitest';
import type { ServerStore, SyncServer, SyncServerOptions } from 'tidesync/server';
import type { StoreKind } from './server-helpers.js';
import { makeServer } from './server-helpers.js';

/** The store and server of the running test (set in its `beforeEach`). */
export interface ServerPerTest {
  readonly store: ServerStore;
  readonly server: SyncServer;
}

/**
 * For the calling `describe`: before each test, a store of `kind` and {@link makeServer} on it
 * with `options`, then `seed(server)`; after each, the store is closed and removed.
 */
export function serverPerTest(
  kind: StoreKind,
  options: Partial<SyncServerOptions> = {},
  seed: (server: SyncServer) => Promise<unknown> = async () => undefined,
): ServerPerTest {
  let store: ServerStore | undefined;
  let server: SyncServer | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    ({ store, cleanup } = await kind.create());
    server = makeServer(store, options);
    await seed(server);
  });
  afterEach(async () => {
    await store?.close();
    await cleanup?.();
    store = server = cleanup = undefined;
  });
  return {
    get store() {
      if (!store) throw new Error('serverPerTest: the store opens in beforeEach');
      return store;
    },
    get server() {
      if (!server) throw new Error('serverPerTest: the server starts in beforeEach');
      return server;
    },
  };
}
