// What the server does to an op's clocks and data before applying it: clocks clamped to the
// allowed drift, a record's own id written into its self-references, fields picked by name.
import type { CollectionDefinition, FieldClocks, RecordData } from '../core/index.js';
import { encodeHlc, parseHlc } from '../core/index.js';
import type { ServerContext } from './server-context.js';

/** Clamps a clock further than `maxClockDriftMs` ahead of server time (same node, same counter). */
export function clampHlc(hlc: string, ctx: ServerContext): string {
  const parts = parseHlc(hlc);
  const limit = Math.floor(ctx.now()) + ctx.maxClockDriftMs;
  if (!parts || parts.ms <= limit) return hlc;
  return encodeHlc({ ms: limit, counter: parts.counter, node: parts.node });
}

/** {@link clampHlc} applied to each field clock. */
export function clampClocks(clocks: FieldClocks, ctx: ServerContext): FieldClocks {
  const out: FieldClocks = {};
  for (const [field, clock] of Object.entries(clocks)) out[field] = clampHlc(clock, ctx);
  return out;
}

/** The given fields of `data` (a field it lacks is `undefined`). */
export function pick(data: RecordData, fields: readonly string[]): RecordData {
  const out: RecordData = {};
  for (const field of fields) out[field] = data[field];
  return out;
}

/**
 * A record created offline whose reference fields point at itself holds its local id there:
 * under server-assigned ids, those fields get the id the server minted (the client cannot send
 * it, as it only learns it from this answer).
 */
export function withOwnId(
  collection: CollectionDefinition,
  data: RecordData,
  localId: string,
  id: string,
): RecordData {
  let out = data;
  for (const [field, target] of Object.entries(collection.references)) {
    if (target !== collection.name || data[field] !== localId) continue;
    if (out === data) out = { ...data };
    out[field] = id;
  }
  return out;
}
