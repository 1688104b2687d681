/**
 * The web-todo app: an offline-first todo list. Data lives in IndexedDB; tidesync syncs it to
 * the example server at `/sync` when the network is up, after each edit, when the tab comes
 * back to the foreground, and whenever the server pokes the live stream (a change made in
 * another tab or browser shows without any action). A service worker caches the app shell so it also reloads offline.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import {
  createSyncClient,
  foregroundTrigger,
  httpTransport,
  liveTrigger,
  onlineTrigger,
  webLocksCoordinator,
  writeTrigger,
} from 'tidesync';
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import { todos } from './collections.js';
import { ConflictPanel } from './conflict-panel.js';
import { SyncIndicator } from './sync-indicator.js';
import { TodoList } from './todo-list.js';

async function start(): Promise<void> {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js').catch((error: unknown) => {
      console.warn('service worker not registered; the app will not reload offline', error);
    });
  }
  const client = await createSyncClient({
    collections: [todos],
    storage: indexedDbAdapter({ name: 'tidesync-web-todo' }),
    transport: httpTransport({ url: new URL('/sync', location.href).href }),
    triggers: [
      liveTrigger(),
      onlineTrigger(),
      foregroundTrigger(),
      writeTrigger({ debounceMs: 150 }),
    ],
    // Tabs share the database: one tab (the leader) syncs and holds the live stream, and tells
    // the others what changed.
    coordinator: webLocksCoordinator({ name: 'tidesync-web-todo' }),
  });
  // Catch up with other devices once at start; failures (offline) show in the indicator.
  if (navigator.onLine) void client.sync().catch(() => undefined);

  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root element');
  createRoot(root).render(
    <StrictMode>
      <header>
        <h1>Todos</h1>
        <SyncIndicator client={client} />
      </header>
      <main>
        <ConflictPanel client={client} />
        <TodoList client={client} />
      </main>
    </StrictMode>,
  );
  // Tests and the console can reach the client.
  (window as unknown as { todoClient: typeof client }).todoClient = client;
}

void start();
