// Object schemas for the wire, parsed as fast as classic zod's `z.object`. Classic zod parses
// an object with code generated for its shape (`$ZodObjectJIT`); zod/mini's `z.object` runs the
// generic loop, which made a pulled record cost about 20% more to parse. That JIT is only
// reachable through the `z.core` namespace, and touching it puts all of zod (its locales too)
// in an app's bundle, so the wire objects generate their own code for the common case: every
// field valid. Anything else (a field with issues, a missing required field, an async or
// `jitless` parse) goes to zod's own parser, which runs the fields
// again and reports exactly what `z.object` reports.
import * as z from 'zod/mini';
import { AGAIN, type CodeState, fieldCode, isPlainObject, passesCheck } from './wire-code.js';

type Payload = z.core.ParsePayload;
type Context = z.core.ParseContextInternal<z.core.$ZodIssue>;
type Parse = (payload: Payload, ctx?: Context) => Payload | Promise<Payload>;

const fastParsed = new WeakSet<z.core.$ZodType>();

/** True when `schema` is an object schema made by {@link wireObject}. */
export function hasFastParse(schema: z.core.$ZodType): boolean {
  return fastParsed.has(schema);
}

/** Whether the parse of `input` in `ctx` may take the fast path. */
function fastCase(input: unknown, ctx: Context | undefined): input is Record<string, unknown> {
  return (
    ctx?.async === false &&
    ctx.jitless !== true &&
    ctx.direction !== 'backward' &&
    input !== null &&
    typeof input === 'object' &&
    !Array.isArray(input)
  );
}

/**
 * The parser of one shape's valid values: code generated for it, each field's checks written
 * out where wire-code.ts can (else the field's own zod run); `undefined` where generating code
 * is not allowed (a Content-Security-Policy without 'unsafe-eval') or zod is configured `jitless`.
 */
function compiled(
  keys: readonly string[],
  fields: readonly z.core.$ZodType[],
  interpreted: Parse,
): Parse | undefined {
  if (z.config().jitless) return undefined;
  // p: the payload, c: the parse context, i: the input, o: the output, r: a field's zod result,
  // v...: values; I: zod's own parser, F: fastCase, X: what the field code refers to.
  const state: CodeState = { refs: [], vars: 0 };
  let body = `if(!F(i,c))${AGAIN}const o={};`;
  keys.forEach((key, n) => {
    const k = JSON.stringify(key);
    const { optin, optout } = fields[n]!._zod;
    body += `v=i[${k}];${fieldCode(state, fields[n]!, 'v')}`;
    // As zod's object parser: an absent optional key stays absent, a required one is an issue.
    body +=
      optin === undefined
        ? `if(!(${k} in i))${AGAIN}o[${k}]=v;`
        : optin === 'optional' && optout === 'optional'
          ? `if(${k} in i)o[${k}]=v;`
          : `if(v!==void 0||${optin === 'defaulted' && optout !== 'optional' ? 1 : `${k} in i`})o[${k}]=v;`;
  });
  const vars = Array.from({ length: state.vars }, (_, n) => `,v${n + 1}`).join('');
  try {
    const make = new Function(
      'I',
      'F',
      'K',
      'P',
      'E',
      'X',
      `return(p,c)=>{const i=p.value;let r,v${vars};${body}p.value=o;return p}`,
    ) as (...args: unknown[]) => Parse;
    return make(
      interpreted,
      fastCase,
      passesCheck,
      isPlainObject,
      Object.prototype.propertyIsEnumerable,
      state.refs,
    );
  } catch {
    return undefined;
  }
}

function withFastParse<S extends z.ZodMiniObject>(schema: S): S {
  const inner = schema._zod;
  const shape = inner.def.shape as Record<string, z.core.$ZodType>;
  const keys = Object.keys(shape);
  // zod skips a `__proto__` field and parses symbol keys: left to its own parser.
  if (keys.includes('__proto__') || Object.getOwnPropertySymbols(shape).length) return schema;
  const fields = keys.map((key) => shape[key]!);
  const interpreted = inner.parse as Parse;
  const parse = compiled(keys, fields, interpreted);
  if (!parse) return schema;
  // An object schema without checks runs its parser directly (`run` is `parse`).
  if (inner.run === inner.parse) inner.run = parse as typeof inner.run;
  inner.parse = parse as typeof inner.parse;
  fastParsed.add(schema);
  return schema;
}

/** zod/mini's `z.object(shape)`, with a faster parse of a valid value (see above). */
export function wireObject<Shape extends z.core.$ZodShape>(
  shape: Shape,
): z.ZodMiniObject<Shape, z.core.$strip> {
  return withFastParse(z.object(shape));
}
