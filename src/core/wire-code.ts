// The code wireObject() generates for each field (issue 15: the hardening's CPU cost): the
// checks zod would run, written out for the kinds the wire uses (strings, numbers, booleans,
// enums, literals, refinements, nullable, optional, pipes, records), so a valid value costs a few
// comparisons instead of zod's generic run (a payload object per schema and per check). The
// code only accepts values zod accepts, and builds the same output; anything else (a value that
// fails, a kind or check not written out here) goes back to zod's own parse of the whole object.
import type * as z from 'zod/mini';

type Schema = z.core.$ZodType;
type Def = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Back to zod's parse of the whole object (`I`, the payload `p` and context `c`). */
export const AGAIN = 'return I(p,c);';

/** Runs a zod check of its own on `value`: true when it adds no issue (and is not async). */
export function passesCheck(check: z.core.$ZodCheck<unknown>, value: unknown): boolean {
  const payload: z.core.ParsePayload = { value, issues: [] };
  return check._zod.check(payload) === undefined && payload.issues.length === 0;
}

/** zod's `isPlainObject`, which its record parse requires. */
export function isPlainObject(o: unknown): boolean {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;
  const ctor = (o as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function') return true;
  const proto: unknown = ctor.prototype;
  return (
    typeof proto === 'object' &&
    proto !== null &&
    !Array.isArray(proto) &&
    Object.prototype.hasOwnProperty.call(proto, 'isPrototypeOf')
  );
}

/** What one object's code refers to as `X[n]`, and how many variables `v1`... it uses. */
export interface CodeState {
  readonly refs: unknown[];
  vars: number;
}

const ref = (state: CodeState, value: unknown): string => `X[${state.refs.push(value) - 1}]`;

/** Statements that check variable `v` against `schema` and leave zod's output in `v`. */
export function fieldCode(state: CodeState, schema: Schema, v: string): string {
  // Anything not written out: zod's own run of this field.
  return (
    inline(state, schema, v) ??
    `r=${ref(state, schema._zod)}.run({value:${v},issues:[]},c);if(r.issues.length)${AGAIN}${v}=r.value;`
  );
}

const TYPES: Record<string, string> = {
  string: 'typeof V=="string"',
  number: 'typeof V=="number"&&isFinite(V)',
  boolean: 'typeof V=="boolean"',
  custom: 'true',
};

function inline(state: CodeState, schema: Schema, v: string): string | undefined {
  const zod = schema._zod;
  const def = zod.def as Def;
  const checks = def['coerce'] ? undefined : checkCode(state, schema, v);
  if (checks === undefined) return undefined;
  const type =
    def.type === 'enum' || def.type === 'literal'
      ? `${ref(state, zod.values)}.has(V)`
      : TYPES[def.type];
  if (type) return `if(!(${type.replaceAll('V', v)}${checks}))${AGAIN}`;
  const inner = def['innerType'] as Schema;
  const keyType = def['keyType'] as Schema;
  if (checks) return undefined;
  if (def.type === 'nullable') return `if(${v}!==null){${fieldCode(state, inner, v)}}`;
  if (
    def.type === 'optional' &&
    !zod.traits.has('$ZodExactOptional') &&
    inner._zod.optin !== 'defaulted'
  )
    return `if(${v}!==void 0){${fieldCode(state, inner, v)}}`;
  if (def.type === 'pipe') return fieldCode(state, def['in'], v) + fieldCode(state, def['out'], v);
  if (def.type !== 'record' || def['partial'] || keyType._zod.values) return undefined;
  const n = (state.vars += 3);
  const [k, w, y] = [`v${n - 2}`, `v${n - 1}`, `v${n}`];
  // A string key schema written out leaves the key as it is (the output key is the input's).
  const key = (keyType._zod.def as Def).type === 'string' ? inline(state, keyType, k) : undefined;
  // As zod: every own enumerable key but `__proto__`; a symbol key is an issue.
  return (
    key &&
    `if(!P(${v}))${AGAIN}${w}={};for(${k} of Reflect.ownKeys(${v})){if(${k}==="__proto__"||!E.call(${v},${k}))continue;${key}${y}=${v}[${k}];${fieldCode(state, def['valueType'], y)}${w}[${k}]=${y}}${v}=${w};`
  );
}

/**
 * `&&` terms for the checks of `schema` (itself first when it is one), `undefined` when one
 * cannot be written out.
 */
function checkCode(state: CodeState, schema: Schema, v: string): string | undefined {
  const zod = schema._zod;
  let code = '';
  for (const check of [
    ...(zod.traits.has('$ZodCheck') ? [schema as unknown as z.core.$ZodCheck] : []),
    ...((zod.def.checks ?? []) as z.core.$ZodCheck[]),
  ]) {
    const def = check._zod.def as Def;
    const bound = def['value'] ?? def['maximum'] ?? def['minimum'];
    const kind = def['check'] as string;
    if (!Number.isSafeInteger(bound) && kind !== 'number_format' && kind !== 'custom') return;
    if (kind === 'max_length') code += `&&${v}.length<=${bound}`;
    // zod counts code points: at least one, in any string of at least one UTF-16 unit.
    else if (kind === 'min_length' && bound <= 1) code += `&&${v}.length>=${bound}`;
    else if (kind === 'greater_than' || kind === 'less_than')
      code += `&&${v}${kind[0] === 'g' ? '>' : '<'}${def['inclusive'] ? '=' : ''}${bound}`;
    else if (kind === 'number_format' && def['format'] === 'safeint')
      code += `&&Number.isSafeInteger(${v})`;
    else if (kind === 'custom' && !def['when']) {
      code += (check as unknown as Schema)._zod.traits.has('$ZodCustom')
        ? `&&${ref(state, def)}.fn(${v})===true`
        : `&&K(${ref(state, check)},${v})`;
    } else return;
  }
  return code;
}
