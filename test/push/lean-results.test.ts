// Lean push results (issue 17): a push with `lean: true` gets an applied op's result without
// its record when the record is exactly the op's own; the client rebuilds it from the op it
// sent. Whatever the answer's form, the device's record after it is exactly the server's.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NetworkError, defineCollection, type SyncClient } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
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
  schema: z.object({ title: z.string(), n: z.number(), tags: z.array(z.string()) }),
});

/** Inserts two notes, syncs, updates one, deletes the other, syncs. */
async function insertUpdateDelete(client: SyncClient): Promise<void> {
  const handle = client.collection('notes');
  const a = await handle.insert({ title: 'a', n: 1, tags: ['x'] });
  const b = await handle.insert({ title: 'b', n: 2, tags: [] });
  await client.sync();
  await handle.update(a.id, { n: 5 });
  await handle.delete(b.id);
  await client.sync();
}

describe('lean push results', () => {
  it('answers plain inserts, updates and deletes without records, and the device holds what the server holds', async () => {
    const server = leanServer([notes]);
    const exchanges: PushExchange[] = [];
    const storage = memoryAdapter();
    const client = await leanClient([notes], recordingTransport(server, exchanges), { storage });
    await insertUpdateDelete(client);

    expect(exchanges.every((e) => e.request['lean'] === true)).toBe(true);
    const results = exchanges.flatMap((e) => e.results);
    expect(results).toHaveLength(4);
    for (const result of results) {
      expect(result).not.toHaveProperty('record');
      expect(result).toMatchObject({ status: 'applied', merged: false });
    }
    const onServer = comparable(await serverRecords(server, 'notes'));
    expect(Object.keys(onServer)).toHaveLength(2);
    expect(comparable(await deviceRecords(storage, 'notes'))).toEqual(onServer);
    await client.close();
  });

  it('stores the clock the server clamped, not the one the op carried', async () => {
    // The device's clock runs ten days ahead: the server clamps the op's clocks to its own time
    // plus maxClockDriftMs (24 h), and the lean answer carries the clamped ones.
    const serverNow = 1_800_000_000_000;
    const server = leanServer([notes], { now: () => serverNow });
    const exchanges: PushExchange[] = [];
    const storage = memoryAdapter();
    const client = await leanClient([notes], recordingTransport(server, exchanges), {
      storage,
      now: () => serverNow + 10 * 86_400_000,
    });
    await client.collection('notes').insert({ title: 'ahead', n: 1, tags: [] });
    await client.sync();

    const [sent] = exchanges[0]!.request['ops'] as { hlc: string }[];
    const [result] = exchanges[0]!.results;
    expect(result).not.toHaveProperty('record');
    expect(result!['hlc']).not.toBe(sent!.hlc);
    const [device] = await deviceRecords(storage, 'notes');
    expect(device!.hlc).toBe(result!['hlc']);
    expect(comparable([device!])).toEqual(comparable(await serverRecords(server, 'notes')));
    await client.close();
  });

  it('sends the whole record when the server stored other data than the op carried', async () => {
    // The server's schema fills in `note` where the device's leaves it out, and caps `n` at
    // 10: an insert it stored with the default, and an update whose earlier op on the record
    // was rejected (its `data` still holds the rejected change) both come back whole.
    const deviceNotes = defineCollection({
      name: 'notes',
      schema: z.object({ title: z.string(), n: z.number(), note: z.string().optional() }),
    });
    const serverNotes = defineCollection({
      name: 'notes',
      schema: z.object({ title: z.string(), n: z.number().max(10), note: z.string().default('-') }),
    });
    const server = leanServer([serverNotes]);
    const exchanges: PushExchange[] = [];
    const storage = memoryAdapter();
    const client = await leanClient([deviceNotes], recordingTransport(server, exchanges), {
      storage,
      coalesce: false,
    });
    const handle = client.collection('notes');
    const changed = await handle.insert({ title: 'filled', n: 1 });
    const kept = await handle.insert({ title: 'kept', n: 1, note: 'mine' });
    await client.sync();
    await handle.update(kept.id, { n: 99 }); // rejected by the server
    await handle.update(kept.id, { title: 'renamed' });
    await client.sync();
    await client.sync();

    // Per op sent: its local id, its type and whether its answer carried the record.
    const answered = exchanges.flatMap((e) =>
      (e.request['ops'] as { id: string; type: string }[]).map(
        (op, i) => `${op.id}:${op.type}:${'record' in (e.results[i] ?? {})}`,
      ),
    );
    expect(answered.sort()).toEqual(
      [
        `${changed.id}:insert:true`,
        `${kept.id}:insert:false`,
        `${kept.id}:update:false`, // rejected: no record either way
        `${kept.id}:update:true`,
      ].sort(),
    );
    expect((await client.deadLetters()).map((op) => op.patch)).toEqual([{ n: 99 }]);
    const onServer = comparable(await serverRecords(server, 'notes'));
    expect(comparable(await deviceRecords(storage, 'notes'))).toEqual(onServer);
    expect(Object.values(onServer).map((r) => (r as { data: unknown }).data)).toEqual(
      expect.arrayContaining([
        { title: 'filled', n: 1, note: '-' },
        { title: 'renamed', n: 1, note: 'mine' },
      ]),
    );
    await client.close();
  });

  it('answers whole records to a push without the flag (a client from before it)', async () => {
    const server = leanServer([notes]);
    const exchanges: PushExchange[] = [];
    const withoutLean = (body: Record<string, unknown>) => {
      const { lean: _lean, ...rest } = body;
      return rest;
    };
    const storage = memoryAdapter();
    const client = await leanClient(
      [notes],
      recordingTransport(server, exchanges, { edit: withoutLean }),
      { storage },
    );
    await insertUpdateDelete(client);

    const results = exchanges.flatMap((e) => e.results);
    expect(results).toHaveLength(4);
    for (const result of results) expect(result).toHaveProperty('record');
    expect(comparable(await deviceRecords(storage, 'notes'))).toEqual(
      comparable(await serverRecords(server, 'notes')),
    );
    await client.close();
  });

  it('answers a replayed op lean as well, compared with the op as re-sent', async () => {
    const server = leanServer([notes]);
    const exchanges: PushExchange[] = [];
    let lose = true;
    const transport = recordingTransport(server, exchanges);
    // The first answer is lost on the way back: the client re-sends the same ops.
    const lossy: typeof transport = {
      async send(kind, body, options) {
        const reply = await transport.send(kind, body, options);
        if (kind === 'push' && lose) {
          lose = false;
          throw new NetworkError('NETWORK_UNAVAILABLE', 'lost', { retryable: true });
        }
        return reply;
      },
    };
    const storage = memoryAdapter();
    const client = await leanClient([notes], lossy, { storage });
    await client.collection('notes').insert({ title: 'a', n: 1, tags: [] });
    await expect(client.sync()).rejects.toThrow('lost');
    await client.sync();

    expect(exchanges).toHaveLength(2);
    expect(exchanges[1]!.request['ops']).toEqual(exchanges[0]!.request['ops']);
    expect(exchanges[1]!.results).toEqual(exchanges[0]!.results);
    expect(exchanges[1]!.results[0]).not.toHaveProperty('record');
    expect(comparable(await deviceRecords(storage, 'notes'))).toEqual(
      comparable(await serverRecords(server, 'notes')),
    );
    await client.close();
  });

  it('refuses an applied result with neither a record nor its lean metadata, and applies nothing', async () => {
    const server = leanServer([notes]);
    const exchanges: PushExchange[] = [];
    const dropClock = (reply: Record<string, unknown>) => ({
      ...reply,
      results: (reply['results'] as Record<string, unknown>[]).map(
        ({ hlc: _hlc, ...rest }) => rest,
      ),
    });
    const storage = memoryAdapter();
    const client = await leanClient(
      [notes],
      recordingTransport(server, exchanges, { answer: dropClock }),
      { storage },
    );
    await client.collection('notes').insert({ title: 'a', n: 1, tags: [] });
    await expect(client.sync()).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' });

    const [device] = await deviceRecords(storage, 'notes');
    expect(device).toMatchObject({ serverId: null, version: 0, syncStatus: 'pending' });
    expect(await client.pendingOps()).toHaveLength(1);
    await client.close();
  });
});
