import type { CollectionDefinition, SchemaParser, WireOp } from '../core/index.js';
import { parserOf, partialOf, strictOf } from '../core/index.js';
import type { ServerContext } from './server-context.js';
import type { PreloadRequest } from './server-store.js';

/** The strict schemas derived from a collection's schema, built once (zod compiles each). */
export interface DerivedSchemas {
  /** The whole record: unknown fields rejected. */
  readonly strict: SchemaParser;
  /** A patch: every field optional, unknown fields rejected. */
  readonly partialStrict: SchemaParser;
}

const derivedSchemas = new WeakMap<object, DerivedSchemas>();

/** The derived schemas of `collection`, cached by its schema object. */
export function schemasOf(collection: CollectionDefinition): DerivedSchemas {
  const schema = collection.schema;
  let derived = derivedSchemas.get(schema);
  if (!derived) {
    derived = {
      strict: parserOf(strictOf(schema)),
      partialStrict: parserOf(strictOf(partialOf(schema))),
    };
    derivedSchemas.set(schema, derived);
  }
  return derived;
}

/**
 * The reads `applyOp` will make for these ops, so a store can load them in one go: the
 * record each op targets, by canonical id or by origin (its `insert` lookup and `#target`).
 */
export function readsOf(
  ctx: ServerContext,
  clientId: string,
  ops: readonly WireOp[],
): PreloadRequest {
  // Keyed, so a record several ops of the batch touch is loaded once.
  const records = new Map<string, [string, string]>();
  const origins = new Map<string, [string, string]>();
  const add = (to: Map<string, [string, string]>, collection: string, id: string) =>
    to.set(`${collection}\u0000${id}`, [collection, id]);
  for (const op of ops) {
    if (!ctx.collections.has(op.collection)) continue;
    if (op.type === 'insert') {
      if (ctx.assignId === 'server') add(origins, op.collection, op.id);
      else add(records, op.collection, op.serverId ?? op.id);
    } else if (op.serverId !== null) add(records, op.collection, op.serverId);
    else if (ctx.assignId === 'client') add(records, op.collection, op.id);
    else add(origins, op.collection, op.id);
  }
  return {
    clientId,
    opIds: ops.map((op) => op.opId),
    records: [...records.values()],
    origins: [...origins.values()],
  };
}
