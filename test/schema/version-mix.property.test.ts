// Property: clients on random schema versions (1-3), upgrading at random moments while the
// server is redeployed upward at random moments, converge once everyone is on version 3; no
// write is dead-lettered, every record arrives, and no field value is lost to a migration.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SyncClient } from 'tidesync';
import { TidesyncError } from 'tidesync';
import { createTestHarness } from 'tidesync/testing';
import { todosAt } from './todo-versions.js';

type Version = 1 | 2 | 3;

type Step =
  | { readonly kind: 'insert'; readonly client: number }
  | {
      readonly kind: 'update';
      readonly client: number;
      readonly pick: number;
      readonly field: 0 | 1;
    }
  | { readonly kind: 'sync'; readonly client: number }
  | { readonly kind: 'upgradeClient'; readonly client: number }
  | { readonly kind: 'deploy' };

const CLIENTS = 3;
const client = fc.integer({ min: 0, max: CLIENTS - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), client }),
  fc.record({
    kind: fc.constant('update' as const),
    client,
    pick: fc.nat(20),
    field: fc.constantFrom(0 as const, 1 as const),
  }),
  fc.record({ kind: fc.constant('sync' as const), client }),
  fc.record({ kind: fc.constant('upgradeClient' as const), client }),
  fc.record({ kind: fc.constant('deploy' as const) }),
);

const label = (data: Record<string, unknown>, version: Version) =>
  String(version === 3 ? data['name'] : data['title']);

describe('schema versions in every order of arrival (property)', () => {
  it('converges at version 3 with zero dead letters and every written value kept', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Version>(1, 2, 3), { minLength: CLIENTS, maxLength: CLIENTS }),
        fc.constantFrom<Version>(1, 2, 3),
        fc.array(step, { minLength: 5, maxLength: 40 }),
        async (startVersions, serverStart, steps) => {
          const versions = [...startVersions];
          let server: Version = serverStart;
          const h = await createTestHarness({
            collections: [todosAt[server]],
            clients: versions.map((v) => ({ collections: [todosAt[v]] })),
          });
          const titles = new Set<string>();
          let counter = 0;
          const syncQuietly = async (i: number) => {
            await h.sync(i).catch((error: unknown) => {
              const allowed = ['SERVER_TOO_OLD', 'UPGRADE_REQUIRED'];
              if (!(error instanceof TidesyncError) || !allowed.includes(error.code)) throw error;
            });
          };
          const at = (i: number): SyncClient => h.clients[i]!;
          try {
            for (const s of steps) {
              if (s.kind === 'deploy' && server < 3) {
                server = (server + 1) as Version;
                await h.restartServer({ collections: [todosAt[server]] });
              } else if (s.kind === 'upgradeClient' && versions[s.client]! < 3) {
                versions[s.client] = (versions[s.client]! + 1) as Version;
                await h.restartClient(s.client, { collections: [todosAt[versions[s.client]!]] });
              } else if (s.kind === 'sync') {
                await syncQuietly(s.client);
              } else if (s.kind === 'insert') {
                const text = `t${counter++}`;
                titles.add(text);
                const v = versions[s.client]!;
                const base = { done: false, ...(v > 1 ? { priority: 1 } : {}) };
                await at(s.client)
                  .collection('todos')
                  .insert(v === 3 ? { ...base, name: text } : { ...base, title: text });
              } else if (s.kind === 'update') {
                const v = versions[s.client]!;
                const rows = await at(s.client).collection('todos').find();
                const row = rows[s.pick % Math.max(rows.length, 1)];
                if (!row) continue;
                const text = `t${counter++}`;
                titles.add(text);
                const patch =
                  s.field === 0
                    ? { [v === 3 ? 'name' : 'title']: text }
                    : v === 1
                      ? { done: true }
                      : { priority: 2 };
                await at(s.client).collection('todos').update(row.id, patch);
              }
            }
            // Everyone reaches version 3: the deploy finishes, every app updates.
            if (server < 3) await h.restartServer({ collections: [todosAt[3]] });
            for (let i = 0; i < CLIENTS; i++) {
              if (versions[i]! < 3) await h.restartClient(i, { collections: [todosAt[3]] });
            }
            await h.settle();
            await h.assertConverged();
            for (let i = 0; i < CLIENTS; i++) expect(await at(i).deadLetters()).toEqual([]);
            const rows = await at(0).collection('todos').find();
            for (const row of rows) {
              expect(titles.has(label(row, 3))).toBe(true);
              expect([0, 1, 2]).toContain(row['priority']);
              expect(row).not.toHaveProperty('title');
            }
            // Every inserted record arrived (updates only rename values, never add records).
            expect(rows.length).toBe(steps.filter((s) => s.kind === 'insert').length);
          } finally {
            await h.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
