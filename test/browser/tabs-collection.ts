/** The collection of the multi-tab browser test, shared by the page script and the server. */
import { z } from 'zod';
import { defineCollection, lastWriteWins } from 'tidesync';

/** Notes written from both tabs. */
export const tabNotes = defineCollection({
  name: 'notes',
  schema: z.object({ title: z.string() }),
  conflict: lastWriteWins(),
});
