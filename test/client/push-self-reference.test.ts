// A record whose reference field holds its own id (a root node pointing at itself) must still
// be sent: its insert cannot wait for its own server id.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection } from 'tidesync';
import { makeClient, makeServer } from './sync-helpers.js';

const nodes = defineCollection({
  name: 'nodes',
  schema: z.object({ label: z.string(), parentId: z.string().nullable() }),
  references: { parentId: 'nodes' },
});

describe('push with a self-reference', () => {
  for (const assignId of ['client', 'server'] as const) {
    it(`sends a record that references itself (assignId: '${assignId}')`, async () => {
      const server = makeServer([nodes], assignId);
      const client = await makeClient([nodes], server);
      const root = await client.collection('nodes').insert({ label: 'root', parentId: null });
      // Coalesced into the unsent insert: the insert op now references its own record.
      await client.collection('nodes').update(root.id, { parentId: root.id });
      const child = await client.collection('nodes').insert({ label: 'child', parentId: root.id });

      const result = await client.sync();
      expect(result.pushed).toBe(2);
      expect(client.status.pendingOps).toBe(0);
      const stored = await client.collection('nodes').get(root.id);
      expect(stored?.serverId).not.toBeNull();
      expect(stored?.parentId).toBe(stored?.serverId);
      expect((await client.collection('nodes').get(child.id))?.parentId).toBe(stored?.serverId);

      const other = await makeClient([nodes], server);
      await other.sync();
      const seen = await other.collection('nodes').find({ orderBy: [['label', 'desc']] });
      expect(seen.map((n) => [n.label, n.parentId === seen[0]!.serverId])).toEqual([
        ['root', true],
        ['child', true],
      ]);
      await client.close();
      await other.close();
    });
  }
});

describe('push with references between records created offline', () => {
  for (const assignId of ['client', 'server'] as const) {
    it(`sends two records that end up referencing each other (assignId: '${assignId}')`, async () => {
      const server = makeServer([nodes], assignId);
      const client = await makeClient([nodes], server);
      const a = await client.collection('nodes').insert({ label: 'a', parentId: null });
      const b = await client.collection('nodes').insert({ label: 'b', parentId: a.id });
      // Were this merged into a's unsent insert, a's insert would wait for b's, and b's for a's.
      await client.collection('nodes').update(a.id, { parentId: b.id });

      await client.sync();
      expect(client.status.pendingOps).toBe(0);
      const [sa, sb] = [
        await client.collection('nodes').get(a.id),
        await client.collection('nodes').get(b.id),
      ];
      expect(sa?.parentId).toBe(sb?.serverId);
      expect(sb?.parentId).toBe(sa?.serverId);

      const other = await makeClient([nodes], server);
      await other.sync();
      const byLabel = new Map(
        (await other.collection('nodes').find()).map((n) => [n.label, n] as const),
      );
      expect(byLabel.get('a')?.parentId).toBe(byLabel.get('b')?.serverId);
      expect(byLabel.get('b')?.parentId).toBe(byLabel.get('a')?.serverId);
      await client.close();
      await other.close();
    });
  }
});
