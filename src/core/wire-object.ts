// zod/mini's `z.object` parses with zod's interpreted object parser; classic zod's `z.object`
// uses the compiled one (`$ZodObjectJIT`: a parser generated once per shape with `new Function`,
// unless zod is `jitless` or eval is not allowed, when it falls back to the interpreted one).
// The wire schemas parse every request and answer, so they are built with the compiled parser.
import * as z from 'zod/mini';

type Init = (inst: z.ZodMiniObject, def: z.core.$ZodObjectDef) => void;
const jitInit: Init = z.core.$ZodObjectJIT.init;
const miniInit: Init = z.ZodMiniObject.init;

/** A zod/mini object schema, parsed with zod's compiled object parser. */
const ZodMiniObjectJIT = /* @__PURE__ */ z.core.$constructor(
  'TidesyncWireObject',
  (inst: z.ZodMiniObject, def: z.core.$ZodObjectDef) => {
    // The JIT's init runs `$ZodObject`'s first, so the mini object's init then skips it (zod
    // runs each trait's init once) and only adds the mini methods and `shape`.
    jitInit(inst, def);
    miniInit(inst, def);
  },
);

/** `z.object(shape)` of zod/mini, parsed with zod's compiled object parser. */
export function wireObject<Shape extends z.core.$ZodShape>(
  shape: Shape,
): z.ZodMiniObject<Shape, z.core.$strip> {
  return new ZodMiniObjectJIT({ type: 'object', shape }) as unknown as z.ZodMiniObject<
    Shape,
    z.core.$strip
  >;
}

/** `z.strictObject(shape)` of zod/mini, parsed with zod's compiled object parser. */
export function wireStrictObject<Shape extends z.core.$ZodShape>(
  shape: Shape,
): z.ZodMiniObject<Shape, z.core.$strict> {
  return new ZodMiniObjectJIT({
    type: 'object',
    shape,
    catchall: z.never(),
  }) as unknown as z.ZodMiniObject<Shape, z.core.$strict>;
}
