// S33 with sync sets: a wipe removes the signed-out user's sync sets and their cursors, so the
// next user on the storage starts with none and pulls their own sets from the start.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection } from 'tidesync';
import { createMemoryStore, memoryAdapter } from 'tidesync/adapters/memory';
import { accountServer, deviceClient, sessionTransport, type Session } from './account-helpers.js';

const orders = defineCollection({
  name: 'orders',
  schema: z.object({ region: z.string(), title: z.string() }),
  sync: 'sets',
  indexes: ['region'],
});
const collections = [orders];

describe('client.signOut() with sync sets', () => {
  it('wipes the sets, so the next user pulls their own set from the start', async () => {
    const server = accountServer(collections);
    const store = createMemoryStore();
    const session: Session = { user: 'bob', online: true, tokenValid: true };
    // Bob's order exists on the server first: it sits before Alice's set cursor in the feed.
    const bobWriter = await deviceClient(
      collections,
      memoryAdapter(),
      sessionTransport(server, session),
    );
    await bobWriter.collection(orders).insert({ region: 'north', title: 'bob order' });
    await bobWriter.sync();
    await bobWriter.close();

    session.user = 'alice';
    const alice = await deviceClient(
      collections,
      memoryAdapter({ store }),
      sessionTransport(server, session),
    );
    await alice.collection(orders).insert({ region: 'north', title: 'alice order' });
    const north = await alice.collection(orders).syncSet({ where: { region: 'north' } });
    await alice.sync();
    await north.ready;
    expect(await alice.signOut({ wipe: true })).toMatchObject({ wiped: true });

    session.user = 'bob';
    const bob = await deviceClient(
      collections,
      memoryAdapter({ store }),
      sessionTransport(server, session),
    );
    expect(await bob.syncSets()).toEqual([]);
    const bobNorth = await bob.collection(orders).syncSet({ where: { region: 'north' } });
    await bob.sync();
    await bobNorth.ready;
    const titles = (await bob.collection(orders).find()).map((r) => r.title);
    expect(titles).toEqual(['bob order']);
    await bob.close();
  });
});
