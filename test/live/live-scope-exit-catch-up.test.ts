// The heartbeat's safety net for lost notices (S40) covers a record leaving a user's scope too:
// with every notice lost, a device whose user could see the record before the change is still
// poked at the next heartbeat, and its pull then removes the record.
import { afterEach, describe, expect, it } from 'vitest';
import type { Tokens } from './live-helpers.js';
import { lossyStore, startServer, until } from './live-helpers.js';
import { listNames, lists, listsDevice } from './scope-exit-helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a lost notice of a scope exit (S40)', () => {
  it(
    'pokes the device whose user lost sight of the record at the next heartbeat',
    { timeout: 20_000 },
    async () => {
      let lost = 0;
      // Loses the notices of the revoke, as an instance that died between commit and NOTIFY would.
      let losing = false;
      const store = lossyStore(
        () => losing,
        () => (lost += 1),
      );
      const tokens: Tokens = new Map([
        ['t-alice', { userId: 'alice' }],
        ['t-bob', { userId: 'bob' }],
      ]);
      const running = await startServer(store, tokens, {
        collections: [lists],
        live: { coalesceMs: 0, heartbeatMs: 50 },
      });
      const alice = await listsDevice(running.url, 't-alice', false);
      const bob = await listsDevice(running.url, 't-bob', true);
      cleanups.push(
        () => running.close(),
        () => alice.close(),
        () => bob.close(),
      );
      await until([bob], () => bob.status.live === 'connected');
      const shared = await alice
        .collection('lists')
        .insert({ name: 'plans', members: ['alice', 'bob'] });
      await alice.sync();
      await until([bob], async () => (await listNames(bob)).includes('plans'));

      losing = true;
      await alice.collection('lists').update(shared.id, { members: ['alice'] });
      await alice.sync();
      expect(lost).toBe(1);
      // Before the fix the heartbeat looked at current states only: Bob kept the list forever.
      await until([bob], async () => (await listNames(bob)).length === 0);
      expect(await listNames(bob)).toEqual([]);
    },
  );
});
