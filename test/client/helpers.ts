import { z } from 'zod';
import { defineCollection, fieldMerge } from 'tidesync';

export const projects = defineCollection({
  name: 'projects',
  schema: z.object({ name: z.string().min(1) }),
});

export const todos = defineCollection({
  name: 'todos',
  schema: z.object({
    title: z.string().min(1).max(200),
    done: z.boolean(),
    projectId: z.string().nullable(),
    priority: z.number().int().min(0).max(4).optional(),
  }),
  conflict: fieldMerge(),
  references: { projectId: 'projects' },
});

export const collections = [projects, todos];
