// Issue 19: a device is poked only for changes in its sets. A live stream that declares its
// sync sets is poked for a change of a `sync: 'sets'` collection only when the record matched
// one of them before or after the change; a stream without sets is poked as before.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryServerStore } from 'tidesync/server';
import { op, push } from '../server/server-helpers.js';
import type { RunningServer } from './live-helpers.js';
import { openRaw, positionOf } from './live-helpers.js';
import {
  northScenario,
  northSet,
  openWithSets,
  orderWriter,
  pokeAt,
  pokes,
  startSetsServer,
  written,
} from './live-sets-helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options: { heartbeatMs?: number } = {}): Promise<RunningServer> {
  const running = await startSetsServer(memoryServerStore(), options);
  cleanups.push(() => running.close());
  return running;
}

describe('live pokes respect the sets a stream declares', () => {
  it('pokes for entering, changing in and leaving a set, not for changes outside it', async () => {
    const running = await server();
    const { positions, withSet, control } = await northScenario(running, running);
    const { outside, inside, movedOut, afterLeaving, movedIn } = positions;
    expect(withSet).toEqual([inside, movedOut, movedIn]);
    expect(control).toEqual([outside, inside, movedOut, afterLeaving, movedIn]);
  });

  it('still pokes a stream with sets for collections synced whole, and [] means no set', async () => {
    const running = await server();
    const withSet = await openWithSets(running.url, [northSet]);
    const noSets = await openWithSets(running.url, []);
    const control = await openWithSets(running.url);
    cleanups.push(async () => [withSet, noSets, control].forEach((s) => s.close()));
    await Promise.all([withSet, noSets, control].map((s) => s.next((e) => e.event === 'ready')));
    const order = await written(control, () => orderWriter(running.server).insert('n1', 'north'));
    const todo = await written(control, async () => {
      const answer = await push(running.server, 'w2', [
        op({ seq: 1, collection: 'todos', id: 't1', data: { title: 'x' } }),
      ]);
      expect(answer.status).toBe(200);
    });
    await pokeAt(withSet, todo);
    await pokeAt(noSets, todo);
    expect(pokes(withSet)).toEqual([order, todo]);
    expect(pokes(noSets)).toEqual([todo]);
  });

  it('does not poke for a change outside the sets at the heartbeat check either', async () => {
    const running = await server({ heartbeatMs: 30 });
    const withSet = await openWithSets(running.url, [northSet]);
    const control = await openWithSets(running.url);
    cleanups.push(async () => [withSet, control].forEach((s) => s.close()));
    await Promise.all([withSet, control].map((s) => s.next((e) => e.event === 'ready')));
    const outside = await written(control, () => orderWriter(running.server).insert('s1', 'south'));
    // Pings come after the check of each heartbeat started; three of them: it ran and finished.
    let pings = 0;
    await withSet.next((e) => e.event === 'ping' && ++pings >= 4);
    expect(outside).toBeGreaterThan(positionOf(withSet.events[0]!));
    expect(pokes(withSet)).toEqual([]);
  });

  it('in a collection with a scope function, pokes team members only for changes in their sets', async () => {
    const running = await server();
    const bobSet = await openRaw(running.url, 't-bob', {
      protocol: 1,
      sets: [{ collection: 'teamOrders', where: { region: 'north' } }],
    });
    const bobAll = await openRaw(running.url, 't-bob');
    cleanups.push(async () => [bobSet, bobAll].forEach((s) => s.close()));
    await Promise.all([bobSet, bobAll].map((s) => s.next((e) => e.event === 'ready')));
    let seq = 0;
    const write = (id: string, region: string, team: string) =>
      written(bobAll, async () => {
        const answer = await push(
          running.server,
          'carol-device',
          [op({ seq: ++seq, collection: 'teamOrders', id, data: { title: id, region, team } })],
          { user: 'carol', team },
        );
        expect(answer.body.results[0]?.status).toBe('applied');
      });
    const south = await write('s1', 'south', 'blue');
    const north = await write('n1', 'north', 'blue');
    await pokeAt(bobSet, north);
    // Another team's order in the set's region: bob may not see it, neither stream is poked.
    await push(
      running.server,
      'dave-device',
      [
        op({
          seq: 1,
          collection: 'teamOrders',
          id: 'r1',
          data: { title: 'r', region: 'north', team: 'red' },
        }),
      ],
      { user: 'dave', team: 'red' },
    );
    const last = await write('n2', 'north', 'blue');
    await pokeAt(bobSet, last);
    expect(pokes(bobAll)).toEqual([south, north, last]);
    expect(pokes(bobSet)).toEqual([north, last]);
  });

  it('refuses sets that are not sync sets of the server with 400 and opens no stream', async () => {
    const running = await server();
    const bad = [
      [{ collection: 'todos', where: { title: 'x' } }],
      [{ collection: 'orders', where: { title: 'x' } }],
      [{ collection: 'orders', where: { region: { gt: 'a' } } }],
      { collection: 'orders', where: { region: 'north' } },
      [{ collection: 'nope', where: { region: 'north' } }],
    ];
    for (const sets of bad) {
      const stream = await openWithSets(running.url, sets);
      expect({ sets, status: stream.status }).toEqual({ sets, status: 400 });
      stream.close();
    }
  });
});
