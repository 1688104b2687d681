/** The todo app's data, shared by the browser app and its server. */
import { z } from 'zod';
import { defineCollection, manual } from 'tidesync';

/**
 * A todo. `manual()`: when two devices change the same todo concurrently, nothing is
 * overwritten; the app shows both versions and the user picks one.
 */
export const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string().min(1).max(200), done: z.boolean() }),
  conflict: manual(),
});

/** A todo's fields. */
export type Todo = z.infer<typeof todos.schema>;
