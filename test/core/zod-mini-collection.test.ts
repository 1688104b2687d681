// A collection whose schema is written with zod/mini works like a classic zod one: through
// defineCollection's checks, local validation (insert, update patch), the server's strict
// checks, and sync between two devices (issue 17).
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as z from 'zod/mini';
import {
  TidesyncError,
  ValidationError,
  defineCollection,
  type InferRecord,
  type SyncClient,
} from 'tidesync';
import { makeClient, makeServer } from '../client/sync-helpers.js';

const notes = defineCollection({
  name: 'notes',
  schema: z.object({
    title: z.string().check(z.minLength(1), z.maxLength(40)),
    done: z.boolean(),
    tags: z.optional(z.array(z.string())),
  }),
});

async function closeAll(...clients: SyncClient[]): Promise<void> {
  for (const client of clients) await client.close();
}

describe('a zod/mini collection schema', () => {
  it('types its records from the schema', () => {
    expectTypeOf<InferRecord<typeof notes>>().toEqualTypeOf<{
      title: string;
      done: boolean;
      tags?: string[] | undefined;
    }>();
  });

  it('syncs an insert and an update (a partial patch) between two devices', async () => {
    const server = makeServer([notes]);
    const a = await makeClient([notes], server);
    const b = await makeClient([notes], server);
    const written = await a.collection(notes).insert({ title: 'milk', done: false });
    await a.sync();
    await b.sync();
    const [seen] = await b.collection(notes).find();
    expect(seen).toMatchObject({ title: 'milk', done: false, syncStatus: 'synced' });
    await b.collection(notes).update(seen!.id, { done: true });
    await b.sync();
    await a.sync();
    expect(await a.collection(notes).get(written.id)).toMatchObject({
      title: 'milk',
      done: true,
      syncStatus: 'synced',
    });
    await closeAll(a, b);
  });

  it('refuses an invalid insert and an invalid patch with the field path', async () => {
    const server = makeServer([notes]);
    const client = await makeClient([notes], server);
    const typed = client.collection(notes);
    const insert = await typed.insert({ title: '', done: false }).catch((e: unknown) => e);
    expect(insert).toBeInstanceOf(ValidationError);
    expect((insert as ValidationError).issues[0]?.path).toBe('title');
    const row = await typed.insert({ title: 'ok', done: false });
    const patch = await typed
      .update(row.id, { done: 'yes' as unknown as boolean })
      .catch((e: unknown) => e);
    expect(patch).toBeInstanceOf(ValidationError);
    expect((patch as ValidationError).issues[0]?.path).toBe('done');
    await client.close();
  });

  it('is checked strictly by the server: an unknown field in a pushed op is rejected', async () => {
    const server = makeServer([notes]);
    // A device on a schema with an extra field: the server's (strict) schema refuses it.
    const wider = defineCollection({
      name: 'notes',
      schema: z.object({ title: z.string(), done: z.boolean(), extra: z.string() }),
    });
    const old = await makeClient([wider], server);
    await old.collection(wider).insert({ title: 't', done: false, extra: 'x' });
    const dead: string[] = [];
    old.on('deadLetter', (event) => dead.push(`${event.code}: ${event.message}`));
    await old.sync();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatch(/extra/);
    await old.close();
  });

  it('gets defineCollection checks: a z.date() field is refused', () => {
    expect(() => defineCollection({ name: 'events', schema: z.object({ at: z.date() }) })).toThrow(
      TidesyncError,
    );
  });
});
