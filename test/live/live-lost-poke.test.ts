import { afterEach, describe, expect, it } from 'vitest';
import { memoryServerStore } from 'tidesync/server';
import { createLocalChannel } from '../../src/server/live/live-channel.js';
import type { LiveChannel } from '../../src/server/server-store.js';
import type { Tokens } from './live-helpers.js';
import { liveDevice, openRaw, startServer, titles, until, withChannel } from './live-helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a lost poke (S40)', () => {
  it('delays a change until the next poke, which brings both changes', async () => {
    const inner = memoryServerStore();
    const local = createLocalChannel();
    let dropped = 0;
    // A channel that loses the first notice, as a missed NOTIFY between instances would.
    const lossy: LiveChannel = {
      publish: (change, store) => {
        if (dropped === 0) {
          dropped += 1;
          return Promise.resolve();
        }
        return local.publish(change, store);
      },
      subscribe: (listener, onResync) => local.subscribe(listener, onResync),
    };
    const store = withChannel(inner, lossy);
    const tokens: Tokens = new Map([['t-alice', { userId: 'alice' }]]);
    const running = await startServer(store, tokens);
    cleanups.push(() => running.close());
    const writer = await liveDevice(running.url, { token: 't-alice', live: false });
    const reader = await liveDevice(running.url, { token: 't-alice' });
    cleanups.push(
      () => writer.close(),
      () => reader.close(),
    );
    await until([reader], () => reader.status.live === 'connected' && !reader.status.syncing);
    await writer.collection('todos').insert({ title: 'first (poke lost)' });
    await writer.sync();
    expect(dropped).toBe(1);
    await writer.collection('todos').insert({ title: 'second' });
    await writer.sync();
    await until([reader], async () => (await titles(reader)).length === 2);
    expect(await titles(reader)).toEqual(['first (poke lost)', 'second']);
  });

  it('catches up at the next heartbeat when every notice is lost', async () => {
    const inner = memoryServerStore();
    const local = createLocalChannel();
    // Nothing is ever announced, as if each commit's instance died before its NOTIFY.
    const silent: LiveChannel = {
      publish: () => Promise.resolve(),
      subscribe: (listener, onResync) => local.subscribe(listener, onResync),
    };
    const store = withChannel(inner, silent);
    const tokens: Tokens = new Map([
      ['t-alice', { userId: 'alice' }],
      ['t-bob', { userId: 'bob' }],
    ]);
    const running = await startServer(store, tokens, { live: { heartbeatMs: 40 } });
    cleanups.push(() => running.close());
    const writer = await liveDevice(running.url, { token: 't-alice', live: false });
    const reader = await liveDevice(running.url, { token: 't-alice' });
    const stranger = await openRaw(running.url, 't-bob');
    cleanups.push(
      () => writer.close(),
      () => reader.close(),
      () => stranger.close(),
    );
    await stranger.next((e) => e.event === 'ready');
    await until([reader], () => reader.status.live === 'connected' && !reader.status.syncing);
    await writer.collection('todos').insert({ title: 'never announced' });
    await writer.sync();
    await until([reader], async () => (await titles(reader)).includes('never announced'));
    // Another user's stream saw heartbeats, never a poke for Alice's change.
    await stranger.next((e) => e.event === 'ping' && stranger.events.indexOf(e) > 3);
    expect(stranger.events.filter((e) => e.event === 'poke')).toEqual([]);
  });
});
