import { describe, expect, it } from 'vitest';
import { createSyncClient } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { collections } from './helpers.js';

describe('two clients on one storage adapter', () => {
  it('refuses the second while the first is open, saying what to do', async () => {
    const storage = memoryAdapter();
    const first = await createSyncClient({ collections, storage, triggers: [] });
    const error = await createSyncClient({ collections, storage, triggers: [] }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'TidesyncError', code: 'STORAGE_IN_USE' });
    expect((error as Error).message).toMatch(/Close the first client/);
    // The refused client touched nothing: the first one still works.
    await first.collection('projects').insert({ name: 'p' });
    expect(await first.collection('projects').find()).toHaveLength(1);
    await first.close();
  });

  it('releases the adapter when its client closes, and allows separate adapters at once', async () => {
    const storage = memoryAdapter();
    const first = await createSyncClient({ collections, storage, triggers: [] });
    const other = await createSyncClient({ collections, storage: memoryAdapter(), triggers: [] });
    expect(other.clientId).not.toBe(first.clientId);
    await first.close();
    // No longer claimed: what stops it now is the memory adapter's own rule (closed for good).
    await expect(createSyncClient({ collections, storage, triggers: [] })).rejects.toMatchObject({
      code: 'STORAGE_CLOSED',
    });
    await other.close();
  });
});
