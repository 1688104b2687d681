// The restartable in-process server of the test harness: one server process at a time over
// one server store, each process's unfinished work dying with it on a restart.
import type { CollectionDefinition } from '../core/index.js';
import type { ServerStore, SyncServer, SyncServerOptions } from '../server/index.js';
import { createSyncServer, memoryServerStore } from '../server/index.js';
import { flushMicrotasks } from './fake-clock.js';
import { ProcessLife, mortalServerStore } from './simulated-process.js';

/** What {@link harnessServer} needs: the server options and how to open the store again. */
export interface HarnessServerSetup {
  readonly options: Partial<Omit<SyncServerOptions, 'collections' | 'authorize'>>;
  readonly reopenStore: (() => ServerStore) | undefined;
  readonly collections: readonly CollectionDefinition[];
  readonly now: () => number;
  readonly authorize: SyncServerOptions['authorize'];
}

/** A server process that can be restarted over the same store. */
export interface RestartableServer {
  /** The running server. */
  readonly current: SyncServer;
  /** The collection definitions the running server was started with. */
  readonly collections: readonly CollectionDefinition[];
  /** Sends a request to the running server; rejects like a dropped connection on a restart. */
  fetch(request: Request): Promise<Response>;
  /**
   * Kills the running server and starts a new one over the store, opened again; with
   * `collections`, the new process runs those definitions (a deploy of a new app version).
   */
  restart(collections?: readonly CollectionDefinition[]): Promise<SyncServer>;
  /** Closes the store if the harness owns it. */
  close(): Promise<void>;
}

/** Creates the {@link RestartableServer} of a harness. */
export function harnessServer(setup: HarnessServerSetup): RestartableServer {
  const { options } = setup;
  let store: ServerStore = options.store ?? memoryServerStore();
  let ownStore = options.store === undefined;
  const report = options.onError ?? ((error: Error) => console.error('[tidesync server]', error));
  let life = new ProcessLife();
  let deployed = setup.collections;
  const start = (): SyncServer => {
    const processLife = life;
    return createSyncServer({
      now: setup.now,
      ...options,
      collections: deployed,
      store: mortalServerStore(store, processLife),
      authorize: setup.authorize,
      // The failures of work that died with a killed process are the crash itself, not a bug.
      onError: (error) => {
        if (!processLife.dead) report(error);
      },
    });
  };
  let server = start();

  return {
    get current() {
      return server;
    },
    get collections() {
      return deployed;
    },
    async fetch(request) {
      const processLife = life;
      if (processLife.dead) throw new TypeError('connection refused: the server is restarting');
      const response = await server.fetch(request);
      if (processLife.dead) throw new TypeError('connection reset: the server restarted');
      return response;
    },
    async restart(collections) {
      life.kill();
      if (collections) deployed = collections;
      // Let the dead process's transactions reach their next store call and roll back.
      await flushMicrotasks();
      if (setup.reopenStore) {
        await store.close();
        store = setup.reopenStore();
        ownStore = true;
      }
      await store.open();
      life = new ProcessLife();
      server = start();
      return server;
    },
    async close() {
      if (ownStore) await store.close();
    },
  };
}
