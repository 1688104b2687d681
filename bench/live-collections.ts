import { z } from 'zod';
import { defineCollection, lastWriteWins } from 'tidesync';

/** The live benchmark's one collection. */
export const notes = defineCollection({
  name: 'notes',
  schema: z.object({ text: z.string(), seq: z.number() }),
  conflict: lastWriteWins(),
});

export const liveCollections = [notes];
