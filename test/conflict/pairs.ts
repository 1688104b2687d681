import type { ConflictStrategy, RecordData } from 'tidesync';
import { T0, createWorld, notes, snapshot } from './conflict-helpers.js';

/**
 * One row of docs/conflicts.md end to end: device A and device B change one record
 * concurrently, A syncs, B syncs, A pulls; then a fresh device C pulls the server's state.
 */
export type Pair =
  | 'update/update same field'
  | 'update/update different fields'
  | 'update/delete'
  | 'delete/update'
  | 'delete/delete'
  | 'insert/insert same id';

export const BASE = { title: 't', body: 'b' };

/** Each pair: what A and B do, and each side's whole version after its own change. */
export const PAIRS: Record<Pair, { a: RecordData | null; b: RecordData | null }> = {
  'update/update same field': { a: { title: 'A', body: 'b' }, b: { title: 'B', body: 'b' } },
  'update/update different fields': { a: { title: 'A', body: 'b' }, b: { title: 't', body: 'B' } },
  'update/delete': { a: { title: 'A', body: 'b' }, b: null },
  'delete/update': { a: null, b: { title: 'B', body: 'b' } },
  'delete/delete': { a: null, b: null },
  'insert/insert same id': { a: { title: 'A', body: 'a' }, b: { title: 'B', body: 'bb' } },
};

export async function run(strategy: ConflictStrategy, pair: Pair, later: 'A' | 'B') {
  const world = createWorld([notes(strategy)]);
  const a = await world.device();
  const b = await world.device();
  const events: unknown[] = [];
  b.client.on('conflict', (e) => events.push(e));
  a.setNow(T0 + (later === 'A' ? 2_000 : 1_000));
  b.setNow(T0 + (later === 'B' ? 2_000 : 1_000));
  const A = a.client.collection('notes');
  const B = b.client.collection('notes');
  if (pair === 'insert/insert same id') {
    const ra = await A.insert({ title: 'A', body: 'a' });
    const rb = await B.insert({ title: 'B', body: 'bb' });
    b.collideId(rb.id, ra.id);
  } else {
    a.setNow(T0);
    const r = await A.insert(BASE);
    a.setNow(T0 + (later === 'A' ? 2_000 : 1_000));
    await a.client.sync();
    await b.client.sync();
    const [rb] = await B.find();
    const [onA, onB] = pair.split('/') as ['update' | 'delete', string];
    if (onA === 'delete') await A.delete(r.id);
    else await A.update(r.id, { title: 'A' });
    if (onB.startsWith('delete')) await B.delete(rb!.id);
    else if (pair === 'update/update different fields') await B.update(rb!.id, { body: 'B' });
    else await B.update(rb!.id, { title: 'B' });
  }
  await a.client.sync();
  await b.client.sync();
  await a.client.sync();
  const c = await world.device();
  await c.client.sync();
  const out = {
    a: await snapshot(a.client, 'notes'),
    b: await snapshot(b.client, 'notes'),
    server: await snapshot(c.client, 'notes'),
    conflicts: await b.client.conflicts(),
    events,
    world,
    devices: { a, b },
  };
  return out;
}
