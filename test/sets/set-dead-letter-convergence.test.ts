// A write the server refuses (a dead letter) on an order another device moved out of this
// device's sets: once the app discards the dead letter, the record is the server's version,
// outside every set of the device, and must leave it (it stayed for good: no op was acknowledged,
// so nothing marked the collection for the sweep after the next set pull).
import { expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection, lastWriteWins } from 'tidesync';
import { createTestHarness } from 'tidesync/testing';
import { sharedNorthOrder } from './set-helpers.js';

const ordersWith = (title: z.ZodType<string>) =>
  defineCollection({
    name: 'orders',
    schema: z.object({ title, region: z.string() }),
    conflict: lastWriteWins(),
    sync: 'sets',
    indexes: ['region'],
  });
const north = { collection: 'orders', where: { region: 'north' } };

it('an order moved out of the set leaves the device once its dead letter is discarded', async () => {
  const h = await createTestHarness({
    collections: [ordersWith(z.string())],
    // The server refuses the title 'poison', which the clients accept.
    server: { collections: [ordersWith(z.string().refine((t) => t !== 'poison'))] },
    clients: [{ sets: [north] }, { sets: [north] }],
  });
  try {
    const { first, second } = await sharedNorthOrder(h);
    await h.clients[0]!.collection('orders').update(first, { title: 'c', region: 'south' });
    await h.sync(0);
    await h.clients[1]!.collection('orders').update(second, { title: 'poison' });
    await h.settle();
    const letters = await h.clients[1]!.deadLetters();
    expect(letters).toHaveLength(1);
    await h.clients[1]!.discardDeadLetter(letters[0]!.opId);
    await h.settle();
    expect(await h.clients[1]!.collection('orders').find()).toEqual([]);
    await h.assertConverged();
  } finally {
    await h.close();
  }
});
