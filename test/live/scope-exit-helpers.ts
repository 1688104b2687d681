import { z } from 'zod';
import type { SyncClient } from 'tidesync';
import { createSyncClient, defineCollection, httpTransport, liveTrigger } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';

/** Lists shared with the users named in `members`: revoking a member is a scope exit. */
export const lists = defineCollection({
  name: 'lists',
  schema: z.object({ name: z.string(), members: z.array(z.string()) }),
  scope: (record, user) => (record.data['members'] as string[]).includes(user.userId),
});

/** A memory-backed device over HTTP on `lists`; with `live`, `liveTrigger()` is its only trigger. */
export function listsDevice(serverUrl: string, token: string, live: boolean): Promise<SyncClient> {
  return createSyncClient({
    collections: [lists],
    storage: memoryAdapter(),
    transport: httpTransport({
      url: serverUrl,
      headers: () => ({ authorization: `Bearer ${token}` }),
    }),
    triggers: live ? [liveTrigger({ baseDelayMs: 20, maxDelayMs: 200 })] : [],
  });
}

/** Names of the lists on the device, sorted. */
export const listNames = async (client: SyncClient): Promise<string[]> =>
  (await client.collection('lists').find({})).map((l) => String(l['name'])).sort();
