// zod 4's core types under the names tidesync's signatures use (`z.ZodObject`, `z.infer`), so a
// signature accepts a classic zod schema and a zod/mini one alike: both implement zod core.
import type { core } from 'zod/mini';

/** zod 4 types that classic zod and zod/mini schemas share (zod core). */
// A namespace, not a module of types: declaration bundling keeps `z.infer` qualified (a bare
// `infer` is a keyword in a conditional type).
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace z {
  /** Any zod 4 object schema: `z.object(...)` from `zod` or from `zod/mini`. */
  type ZodObject = core.$ZodObject;
  /** Any zod 4 schema whose output is `Output`. */
  type ZodType<Output = unknown, Input = unknown> = core.$ZodType<Output, Input>;
  /** A zod 4 error: its `issues`. */
  type ZodError<T = unknown> = core.$ZodError<T>;
  /** The parsed type of a schema. */
  type infer<T> = core.output<T>;
}
