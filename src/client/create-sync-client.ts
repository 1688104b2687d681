import { resolveOptions, type SyncClientOptions } from './options.js';
import { SyncClient } from './sync-client.js';

/**
 * Creates a sync client: opens local storage, restores this device's client id and clock, and
 * starts the given triggers. Reads and writes work offline from the first moment.
 *
 * @example
 * const client = await createSyncClient({
 *   collections: [todos],
 *   storage: memoryAdapter(),
 *   transport: httpTransport({ url: 'https://api.example.com/sync' }),
 * });
 * const todo = await client.collection('todos').insert({ title: 'milk', done: false });
 * await client.sync();
 * @throws TidesyncError `INVALID_OPTION` for bad options, before any I/O.
 */
export async function createSyncClient(options: SyncClientOptions): Promise<SyncClient> {
  return SyncClient.open(resolveOptions(options));
}
