// Lean push results on every server store: the answer is decided in the push handler, and a
// replay answers from the outcome the store recorded (whole), compared with the op re-sent.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NetworkError, defineCollection, type Transport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { storeKinds } from '../server/server-helpers.js';
import {
  comparable,
  deviceRecords,
  leanClient,
  leanServer,
  recordingTransport,
  serverRecords,
  type PushExchange,
} from './lean-helpers.js';

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ title: z.string(), n: z.number() }),
});

describe.each(storeKinds())('lean push results on the $name store', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('answers lean, replays a lost answer lean, and the device holds what the store holds', async () => {
    const { store, cleanup } = await kind.create();
    cleanups.push(cleanup);
    const server = leanServer([notes], { store });
    const exchanges: PushExchange[] = [];
    const inner = recordingTransport(server, exchanges);
    let lose = 1; // the answer to the second push is lost on its way back
    const transport: Transport = {
      async send(kind, body, options) {
        const reply = await inner.send(kind, body, options);
        if (kind === 'push' && exchanges.length === 2 && lose-- > 0) {
          throw new NetworkError('NETWORK_UNAVAILABLE', 'lost', { retryable: true });
        }
        return reply;
      },
    };
    const storage = memoryAdapter();
    const client = await leanClient([notes], transport, { storage });
    const handle = client.collection('notes');
    const a = await handle.insert({ title: 'a', n: 1 });
    const b = await handle.insert({ title: 'b', n: 2 });
    await client.sync();
    await handle.update(a.id, { n: 3 });
    await handle.delete(b.id);
    await expect(client.sync()).rejects.toThrow('lost');
    await client.sync();

    expect(exchanges).toHaveLength(3);
    expect(exchanges[2]!.results).toEqual(exchanges[1]!.results);
    for (const result of exchanges.flatMap((e) => e.results)) {
      expect(result).not.toHaveProperty('record');
    }
    expect(comparable(await deviceRecords(storage, 'notes'))).toEqual(
      comparable(await serverRecords(server, 'notes')),
    );
    await client.close();
  });
});
