// Three versions of one app's `todos` collection, as an app team would ship them:
// v2 adds `priority` with a default, v3 renames `title` to `name`.
import { z } from 'zod';
import type { RecordData } from 'tidesync';
import { defineCollection, fieldMerge } from 'tidesync';

const v1Schema = z.object({ title: z.string(), done: z.boolean() });
const v2Schema = v1Schema.extend({ priority: z.number().int() });
const v3Schema = z.object({ name: z.string(), done: z.boolean(), priority: z.number().int() });

export const addPriority = (v1: RecordData): RecordData => ({ ...v1, priority: 0 });
export const renameTitle = ({ title, ...rest }: RecordData): RecordData => ({
  ...rest,
  name: title,
});
const dropPriority = ({ priority: _p, ...rest }: RecordData): RecordData => rest;
const renameBack = ({ name, ...rest }: RecordData): RecordData => ({ ...rest, title: name });

export const todosV1 = defineCollection({
  name: 'todos',
  schema: v1Schema,
  conflict: fieldMerge(),
});

export const todosV2 = defineCollection({
  name: 'todos',
  version: 2,
  schema: v2Schema,
  conflict: fieldMerge(),
  migrations: { 2: addPriority },
});

export const todosV3 = defineCollection({
  name: 'todos',
  version: 3,
  schema: v3Schema,
  conflict: fieldMerge(),
  migrations: { 2: addPriority, 3: renameTitle },
});

/** Version 3 with reverse migrations: a server that can still serve version-1 and -2 reads. */
export const todosV3Reversible = defineCollection({
  name: 'todos',
  version: 3,
  schema: v3Schema,
  conflict: fieldMerge(),
  migrations: {
    2: { up: addPriority, down: dropPriority },
    3: { up: renameTitle, down: renameBack },
  },
});

/** The definition of each version, by number. */
export const todosAt = { 1: todosV1, 2: todosV2, 3: todosV3 } as const;
