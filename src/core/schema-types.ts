// zod 4's core types under the names tidesync's signatures use (`z.ZodObject`, `z.infer`), so a
// signature accepts a classic zod schema and a zod/mini one alike: both implement zod core.
// Import as a namespace: `import type * as z from '../core/schema-types.js'`.
import type { core } from 'zod/mini';

/** Any zod 4 object schema: `z.object(...)` from `zod` or from `zod/mini`. */
export type ZodObject = core.$ZodObject;
/** Any zod 4 schema whose output is `Output`. */
export type ZodType<Output = unknown, Input = unknown> = core.$ZodType<Output, Input>;
/** A zod 4 error: its `issues`. */
export type ZodError<T = unknown> = core.$ZodError<T>;
/** The parsed type of a schema. */
export type infer<T> = core.output<T>;
