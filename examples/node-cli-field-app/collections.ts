/** The field app's data: work orders (jobs) a technician picks up and closes out on site. */
import { z } from 'zod';
import { defineCollection, fieldMerge } from 'tidesync';

/**
 * A job at a customer site. fieldMerge(): office and technician edit different fields safely.
 *
 * Version 2 added `priority`. Devices still holding version-1 jobs (or unsent version-1 changes)
 * are migrated when the app opens its database, and the server upcasts version-1 pushes from
 * devices that have not updated yet, with the same migration.
 */
export const jobs = defineCollection({
  name: 'jobs',
  version: 2,
  schema: z.object({
    customer: z.string().min(1),
    task: z.string().min(1),
    status: z.enum(['open', 'done']),
    note: z.string(),
    priority: z.enum(['normal', 'urgent']),
  }),
  conflict: fieldMerge(),
  migrations: {
    // 1 -> 2: jobs recorded before priorities existed are normal.
    2: (v1) => ({ ...v1, priority: 'normal' }),
  },
});

/**
 * Site visit logs of every region: too many for one van, so `sync: 'sets'`. A device syncs down
 * only the regions it asks for (`sync --region north`); what it logs elsewhere still syncs up.
 */
export const visits = defineCollection({
  name: 'visits',
  schema: z.object({ region: z.string().min(1), site: z.string().min(1), note: z.string() }),
  sync: 'sets',
  indexes: ['region'],
});

/** Every collection the app syncs; the server uses the same list. */
export const collections = [jobs, visits];

/** A job's fields. */
export type Job = z.infer<typeof jobs.schema>;

/** A site visit's fields. */
export type Visit = z.infer<typeof visits.schema>;
