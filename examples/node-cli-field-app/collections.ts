/** The field app's data: work orders (jobs) a technician picks up and closes out on site. */
import { z } from 'zod';
import { defineCollection, fieldMerge } from 'tidesync';

/** A job at a customer site. fieldMerge(): office and technician edit different fields safely. */
export const jobs = defineCollection({
  name: 'jobs',
  schema: z.object({
    customer: z.string().min(1),
    task: z.string().min(1),
    status: z.enum(['open', 'done']),
    note: z.string(),
  }),
  conflict: fieldMerge(),
});

/** Every collection the app syncs; the server uses the same list. */
export const collections = [jobs];

/** A job's fields. */
export type Job = z.infer<typeof jobs.schema>;
