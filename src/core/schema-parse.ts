// Parsing with any zod 4 schema, classic zod or zod/mini, through zod core's functions (a
// zod/mini schema has no `.partial()` or `.strict()` method), with English messages when the
// app configured no zod locale (issue-messages.ts).
import * as z from 'zod/mini';

type $ZodObject = z.core.$ZodObject;
type $ZodType = z.core.$ZodType;
type output<T> = z.core.output<T>;
import { fallbackIssueMessage } from './issue-messages.js';

const PARSE = { error: fallbackIssueMessage };

/** The result of {@link safeParseSchema}: the parsed value, or the error with its issues. */
export type SchemaParseResult<T> = z.core.util.SafeParseResult<T>;

/**
 * `schema.safeParse(value)` for a classic zod or zod/mini schema. Issues without a message of
 * their own get the app's zod locale, or English when the app configured none.
 */
export function safeParseSchema<S extends $ZodType>(
  schema: S,
  value: unknown,
): SchemaParseResult<output<S>> {
  // A parse given an error map skips zod's compiled object parser (about 10x slower), so the
  // map is only passed to parse a failing value again, and only when no locale is set.
  const result = z.safeParse(schema, value);
  if (result.success) return result;
  const config = z.config();
  return config.localeError || config.customError ? result : z.safeParse(schema, value, PARSE);
}

/** A schema's `safeParse`, as classic zod and zod/mini schemas have it. */
export interface SchemaParser<T = unknown> {
  safeParse(value: unknown): SchemaParseResult<T>;
}

/** `schema`'s {@link safeParseSchema} as a {@link SchemaParser}. */
export function parserOf<S extends $ZodType>(schema: S): SchemaParser<output<S>> {
  return { safeParse: (value) => safeParseSchema(schema, value) };
}

/** `schema.partial()`: every field optional. */
export function partialOf(schema: $ZodObject): $ZodObject {
  return z.partial(schema as z.ZodMiniObject);
}

/** `schema.strict()`: fields the schema does not declare are refused. */
export function strictOf(schema: $ZodObject): $ZodObject {
  return z.catchall(schema as z.ZodMiniObject, z.never());
}

/** The fields an object schema declares. */
export function shapeOf(schema: $ZodObject): Readonly<Record<string, $ZodType>> {
  return schema._zod.def.shape;
}
