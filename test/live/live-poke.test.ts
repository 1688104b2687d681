import { afterEach, describe, expect, it } from 'vitest';
import type { SyncClient } from 'tidesync';
import { memoryServerStore } from 'tidesync/server';
import type { RunningServer, Tokens } from './live-helpers.js';
import { liveDevice, openRaw, positionOf, startServer, titles, until } from './live-helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(tokens: Tokens, options = {}): Promise<RunningServer> {
  const running = await startServer(memoryServerStore(), tokens, options);
  cleanups.push(() => running.close());
  return running;
}

async function device(url: string, token: string, extra = {}): Promise<SyncClient> {
  const client = await liveDevice(url, { token, ...extra });
  cleanups.push(() => client.close());
  return client;
}

describe('live sync over HTTP', () => {
  it('shows a change from device A on device B with no trigger but liveTrigger()', async () => {
    const tokens: Tokens = new Map([['t-alice', { userId: 'alice' }]]);
    const { url } = await setup(tokens);
    const a = await device(url, 't-alice', { live: false });
    const b = await device(url, 't-alice');
    await until([b], () => b.status.live === 'connected');
    await a.collection('todos').insert({ title: 'from A' });
    await a.sync();
    await until([b], async () => (await titles(b)).includes('from A'));
    expect(await titles(b)).toEqual(['from A']);
    expect(b.status.lastPulledAt).not.toBeNull();
  });

  it('reports connecting then connected in status.live, and off after close', async () => {
    const tokens: Tokens = new Map([['t-alice', { userId: 'alice' }]]);
    const { url } = await setup(tokens);
    const client = await liveDevice(url, { token: 't-alice' });
    const seen: string[] = [];
    client.on('status', (s) => {
      if (seen[seen.length - 1] !== s.live) seen.push(s.live);
    });
    await until([client], () => client.status.live === 'connected');
    expect(seen).toContain('connected');
    await client.close();
    expect(client.status.live).toBe('off');
  });

  it('answers an unauthenticated /live with 401 and opens no stream (GET and POST)', async () => {
    const tokens: Tokens = new Map([['t-alice', { userId: 'alice' }]]);
    const { url } = await setup(tokens);
    for (const method of ['GET', 'POST']) {
      const response = await fetch(`${url}/live`, { method });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'unauthorized',
      );
    }
    const ok = await openRaw(url, 't-alice', undefined, { method: 'GET' });
    expect(ok.status).toBe(200);
    expect((await ok.next((e) => e.event === 'ready')).event).toBe('ready');
    ok.close();
  });

  it('pokes nobody for a change outside their scope (ownership and scope functions)', async () => {
    const tokens: Tokens = new Map([
      ['t-alice', { userId: 'alice', team: 'red' }],
      ['t-bob', { userId: 'bob', team: 'blue' }],
      ['t-carol', { userId: 'carol', team: 'red' }],
    ]);
    const { url } = await setup(tokens, { live: { coalesceMs: 0 } });
    const alice = await openRaw(url, 't-alice');
    await alice.next((e) => e.event === 'ready');
    const bob = await device(url, 't-bob', { live: false });
    // Bob's own todo and a board of his team: neither is in Alice's scope.
    await bob.collection('todos').insert({ title: 'bob only' });
    await bob.collection('boards').insert({ name: 'blue board', team: 'blue' });
    await bob.sync();
    // Then a board of Alice's team, by Carol: Alice may see that one.
    const carol = await device(url, 't-carol', { live: false });
    await carol.collection('boards').insert({ name: 'red board', team: 'red' });
    await carol.sync();
    const head = await fetch(`${url}/live`, {
      method: 'POST',
      headers: { authorization: 'Bearer t-carol' },
    });
    const reader = head.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const headPosition = Number(/"position":(\d+)/.exec(first)?.[1]);
    const poke = await alice.next((e) => e.event === 'poke');
    // Bob's changes came first: a poke for them would carry an older position.
    expect(positionOf(poke)).toBe(headPosition);
    expect(alice.events.filter((e) => e.event === 'poke').map(positionOf)).toEqual([headPosition]);
    alice.close();
  });

  it('does not poke the device that pushed the change', async () => {
    const tokens: Tokens = new Map([['t-alice', { userId: 'alice' }]]);
    const { url } = await setup(tokens, { live: { coalesceMs: 0 } });
    const a = await device(url, 't-alice', { live: false });
    const b = await device(url, 't-alice', { live: false });
    const streamA = await openRaw(url, 't-alice', { protocol: 1, clientId: a.clientId });
    const ready = await streamA.next((e) => e.event === 'ready');
    await a.collection('todos').insert({ title: 'mine' });
    await a.sync();
    await b.collection('todos').insert({ title: 'theirs' });
    await b.sync();
    const poke = await streamA.next((e) => e.event === 'poke');
    // The only poke is B's: A's own push (the earlier position) was skipped.
    expect(positionOf(poke)).toBe(positionOf(ready) + 2);
    expect(streamA.events.filter((e) => e.event === 'poke')).toHaveLength(1);
    streamA.close();
  });
});
