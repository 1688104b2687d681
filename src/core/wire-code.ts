// The code wireObject() generates for each field (issue 15: the hardening's CPU cost): the
// checks zod would run, written out for the kinds the wire uses (strings, numbers, booleans,
// enums, refinements, nullable, optional, pipes, records, arrays), so a valid value costs a few
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

// Checks run through their own zod function (`K`): exact, just without zod's payload per check.
const BY_FUNCTION = new Set(['min_length', 'length_equals', 'multiple_of', 'number_format']);

/** Builds one object's field code; `refs` are the values it reads as `X[n]`, `vars` its variables. */
export class FieldCode {
  readonly refs: unknown[] = [];
  vars = 0;

  ref(value: unknown): string {
    return `X[${this.refs.push(value) - 1}]`;
  }

  /** Statements that check variable `v` against `schema` and leave zod's output in `v`. */
  field(schema: Schema, v: string): string {
    // Anything not written out: zod's own run of this field.
    return (
      this.#inline(schema, v) ??
      `r=${this.ref(schema._zod)}.run({value:${v},issues:[]},c);if(r.issues.length)${AGAIN}${v}=r.value;`
    );
  }

  #inline(schema: Schema, v: string): string | undefined {
    const zod = schema._zod;
    const def = zod.def as Def;
    const checks = def['coerce'] ? undefined : this.#checks(schema, v);
    if (checks === undefined) return undefined;
    const type =
      def.type === 'string'
        ? `typeof ${v}=="string"`
        : def.type === 'number'
          ? `typeof ${v}=="number"&&isFinite(${v})`
          : def.type === 'boolean'
            ? `typeof ${v}=="boolean"`
            : def.type === 'enum' || def.type === 'literal'
              ? `${this.ref(zod.values)}.has(${v})`
              : def.type === 'custom'
                ? 'true'
                : undefined;
    if (type !== undefined) return `if(!(${type}${checks}))${AGAIN}`;
    if (def.type === 'array') {
      const [j, w, y] = this.#names();
      return (
        `if(!Array.isArray(${v}))${AGAIN}${w}=Array(${v}.length);for(${j}=0;${j}<${v}.length;${j}++){` +
        `${y}=${v}[${j}];${this.field(def['element'], y)}${w}[${j}]=${y}}${v}=${w};` +
        (checks ? `if(!(true${checks}))${AGAIN}` : '')
      );
    }
    if (checks !== '') return undefined;
    const inner = def['innerType'] as Schema | undefined;
    if (def.type === 'nullable') return `if(${v}!==null){${this.field(inner!, v)}}`;
    if (
      def.type === 'optional' &&
      !zod.traits.has('$ZodExactOptional') &&
      inner!._zod.optin !== 'defaulted'
    )
      return `if(${v}!==void 0){${this.field(inner!, v)}}`;
    if (def.type === 'pipe') return this.field(def['in'], v) + this.field(def['out'], v);
    const keyType = def['keyType'] as Schema | undefined;
    if (def.type !== 'record' || def['partial'] || keyType!._zod.values) return undefined;
    const [k, w, y] = this.#names();
    // A string key schema written out leaves the key as it is (the output key is the input's).
    const key =
      (keyType!._zod.def as Def).type === 'string' ? this.#inline(keyType!, k) : undefined;
    if (key === undefined) return undefined;
    // As zod: every own enumerable key but `__proto__`; a symbol key is an issue.
    return (
      `if(!P(${v}))${AGAIN}${w}={};for(${k} of Reflect.ownKeys(${v})){` +
      `if(${k}==="__proto__"||!E.call(${v},${k}))continue;${key}` +
      `${y}=${v}[${k}];${this.field(def['valueType'], y)}${w}[${k}]=${y}}${v}=${w};`
    );
  }

  #names(): [string, string, string] {
    const n = (this.vars += 3);
    return [`v${n - 2}`, `v${n - 1}`, `v${n}`];
  }

  /** `&&` terms for the checks of `schema` (itself first when it is one), `undefined` when one cannot be written. */
  #checks(schema: Schema, v: string): string | undefined {
    const zod = schema._zod;
    const all = [
      ...(zod.traits.has('$ZodCheck') ? [schema as unknown as z.core.$ZodCheck] : []),
      ...((zod.def.checks ?? []) as z.core.$ZodCheck[]),
    ];
    let code = '';
    for (const check of all) {
      const def = check._zod.def as Def;
      const bound = def['value'] ?? def['maximum'] ?? def['minimum'];
      const literal = Number.isSafeInteger(bound) ? String(bound) : undefined;
      const kind = def['check'] as string;
      if (kind === 'max_length' && literal) code += `&&${v}.length<=${literal}`;
      // zod counts code points: at least one, in any string of at least one UTF-16 unit.
      else if (kind === 'min_length' && (bound === 0 || bound === 1))
        code += `&&${v}.length>=${literal}`;
      else if ((kind === 'greater_than' || kind === 'less_than') && literal)
        code += `&&${v}${kind === 'greater_than' ? '>' : '<'}${def['inclusive'] ? '=' : ''}${literal}`;
      else if (kind === 'number_format' && def['format'] === 'safeint')
        code += `&&Number.isSafeInteger(${v})`;
      else if (kind === 'custom' && !def['when']) {
        code += (check as unknown as Schema)._zod.traits.has('$ZodCustom')
          ? `&&${this.ref(def['fn'])}(${v})===true`
          : `&&K(${this.ref(check)},${v})`;
      } else if (BY_FUNCTION.has(kind)) code += `&&K(${this.ref(check)},${v})`;
      else return undefined;
    }
    return code;
  }
}
