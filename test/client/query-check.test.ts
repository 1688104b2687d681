import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { QUERY_OPERATORS, createSyncClient, defineCollection } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';

const notes = defineCollection({
  name: 'notes',
  schema: z.object({
    title: z.string(),
    meta: z.object({ tag: z.string() }).nullable(),
    labels: z.array(z.string()),
  }),
});
const loose = defineCollection({ name: 'loose', schema: z.looseObject({ a: z.number() }) });

async function open() {
  const client = await createSyncClient({ collections: [notes, loose], storage: memoryAdapter() });
  const handle = client.collection('notes');
  await handle.insert({ title: 'x', meta: { tag: 'a' }, labels: ['l'] });
  return { client, handle };
}

describe('queries are checked against the schema', () => {
  it('refuses an unknown operator, naming it and listing the valid ones', async () => {
    const { client, handle } = await open();
    const error = await handle.find({ where: { title: { like: 'x' } } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TidesyncError', code: 'INVALID_QUERY' });
    expect((error as Error).message).toContain('operator `like` on `notes.title`');
    expect((error as Error).message).toContain(QUERY_OPERATORS.join(', '));
    // Mixed with a valid operator it is still refused, never half applied.
    await expect(handle.find({ where: { title: { eq: 'x', contains: 'x' } } })).rejects.toThrow(
      /operator `contains`/,
    );
    await client.close();
  });

  it('refuses unknown fields in where and orderBy, listing the known ones', async () => {
    const { client, handle } = await open();
    await expect(handle.find({ where: { titel: 'x' } })).rejects.toThrow(
      /Unknown field `titel`.*`title`, `meta`, `labels`, `id`, `serverId`, `updatedAt`, `syncStatus`/,
    );
    expect(() => handle.subscribe({ orderBy: [['tilte', 'asc']] }, () => undefined)).toThrow(
      expect.objectContaining({ code: 'INVALID_QUERY' }),
    );
    await client.close();
  });

  it('keeps equality on object and array fields, metadata, and loose schemas', async () => {
    const { client, handle } = await open();
    expect(await handle.find({ where: { meta: { tag: 'a' } } })).toHaveLength(1);
    expect(await handle.find({ where: { labels: ['l'] } })).toHaveLength(1);
    expect(await handle.find({ where: { syncStatus: { in: ['pending'] } } })).toHaveLength(1);
    await client.collection('loose').insert({ a: 1, extra: 'kept' });
    expect(await client.collection('loose').find({ where: { extra: 'kept' } })).toHaveLength(1);
    await client.close();
  });

  it('refuses `in` without an array and an empty condition on a scalar field', async () => {
    const { client, handle } = await open();
    await expect(handle.find({ where: { title: { in: 'x' } } })).rejects.toThrow(
      /`in` on `notes.title` to be an array/,
    );
    await expect(handle.find({ where: { title: {} } })).rejects.toThrow(/empty condition/);
    await client.close();
  });
});
