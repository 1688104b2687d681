import { afterEach, describe, expect, it } from 'vitest';
import { createSyncClient, liveTrigger } from 'tidesync';
import type { StreamEvent, SyncClient, Transport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { manualClock } from '../client/fake-timers.js';
import { collections } from './live-helpers.js';

/** A transport whose live stream the test writes to, and which counts pulls. */
function scriptedTransport() {
  let push: ((event: StreamEvent) => void) | undefined;
  let end: (() => void) | undefined;
  const state = { pulls: 0, opens: 0 };
  const transport: Transport = {
    async send(kind) {
      if (kind === 'pull') {
        state.pulls += 1;
        return { protocol: 1, changes: [], cursor: 'c', hasMore: false, reset: false };
      }
      return { protocol: 1, results: [], lastSeq: 0 };
    },
    async openStream() {
      state.opens += 1;
      const queue: StreamEvent[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      push = (event) => {
        queue.push(event);
        wake?.();
      };
      end = () => {
        done = true;
        wake?.();
      };
      return {
        async *[Symbol.asyncIterator]() {
          for (;;) {
            while (queue.length > 0) yield queue.shift()!;
            if (done) return;
            await new Promise<void>((resolve) => (wake = resolve));
          }
        },
      };
    },
  };
  return {
    transport,
    state,
    send: (event: string, position: number) =>
      push?.({ event, data: JSON.stringify({ position }) }),
    end: () => end?.(),
  };
}

const clients: SyncClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

async function settle(client: SyncClient): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(client.status.syncing).toBe(false);
}

/** A settled client whose only trigger is `trigger`, on a scripted stream and a manual clock. */
async function scriptedClient(trigger: ReturnType<typeof liveTrigger>) {
  const scripted = scriptedTransport();
  const clock = manualClock();
  const client = await createSyncClient({
    collections,
    storage: memoryAdapter(),
    transport: scripted.transport,
    timers: clock.timers,
    triggers: [trigger],
  });
  clients.push(client);
  await settle(client);
  return { scripted, clock, client };
}

describe('liveTrigger()', () => {
  it('pulls on ready and on each poke; a heartbeat with an unsynced position catches up', async () => {
    const { scripted, client } = await scriptedClient(liveTrigger());
    scripted.send('ready', 0);
    await settle(client);
    expect(client.status.live).toBe('connected');
    expect(scripted.state.pulls).toBe(1);
    scripted.send('poke', 5);
    await settle(client);
    expect(scripted.state.pulls).toBe(2);
    // A heartbeat repeating a position already synced past costs nothing.
    scripted.send('ping', 5);
    await settle(client);
    expect(scripted.state.pulls).toBe(2);
    // A heartbeat naming a poke this device never got (lost): it pulls.
    scripted.send('ping', 7);
    await settle(client);
    expect(scripted.state.pulls).toBe(3);
  });

  it('reconnects after the stream ends, with a jittered delay, and pulls on the new ready', async () => {
    const { scripted, clock, client } = await scriptedClient(
      liveTrigger({ baseDelayMs: 1000, random: () => 0.5 }),
    );
    scripted.send('ready', 0);
    await settle(client);
    scripted.end();
    await settle(client);
    expect(client.status.live).toBe('connecting');
    expect(scripted.state.opens).toBe(1);
    await clock.advance(499);
    expect(scripted.state.opens).toBe(1);
    await clock.advance(1);
    expect(scripted.state.opens).toBe(2);
    const pulls = scripted.state.pulls;
    scripted.send('ready', 3);
    await settle(client);
    expect(scripted.state.pulls).toBe(pulls + 1);
    expect(client.status.live).toBe('connected');
  });

  it('closes the stream in the background and offline, and reopens it on the way back', async () => {
    let setForeground!: (foreground: boolean) => void;
    let setOnline!: (online: boolean) => void;
    const { scripted, clock, client } = await scriptedClient(
      liveTrigger({
        appState: { subscribe: (fn) => ((setForeground = fn), () => undefined) },
        connectivity: {
          isOnline: () => true,
          subscribe: (fn) => ((setOnline = fn), () => undefined),
        },
      }),
    );
    /** Connected, `set(false)` closes the stream for good; `set(true)` opens one more. */
    const offAndBack = async (set: (on: boolean) => void, opens: number) => {
      scripted.send('ready', 0);
      await settle(client);
      expect(client.status.live).toBe('connected');
      set(false);
      expect(client.status.live).toBe('off');
      await clock.advance(60_000);
      expect(scripted.state.opens).toBe(opens);
      set(true);
      await settle(client);
      expect(scripted.state.opens).toBe(opens + 1);
    };
    await offAndBack(setForeground, 1);
    await offAndBack(setOnline, 2);
  });

  it('refuses a transport that cannot open streams', async () => {
    const transport: Transport = { send: async () => ({}) };
    await expect(
      createSyncClient({
        collections,
        storage: memoryAdapter(),
        transport,
        triggers: [liveTrigger()],
      }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
