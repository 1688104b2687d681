// What the server does to an op's clocks and data before applying it: clocks clamped to the
// allowed drift, a record's own id written into its self-references, fields picked by name.
import type { CollectionDefinition, FieldClocks, RecordData, WireOp } from '../core/index.js';
import { encodeHlc, parseHlc } from '../core/index.js';
import type { ServerContext } from './server-context.js';
import type { ServerRecord } from './server-store.js';

/** Clamps a clock further than `maxClockDriftMs` ahead of server time (same node, same counter). */
export function clampHlc(hlc: string, ctx: ServerContext): string {
  return clampHlcTo(hlc, Math.floor(ctx.now()) + ctx.maxClockDriftMs);
}

/** A clock whose time is above `limitMs` brought down to it (same node, same counter). */
function clampHlcTo(hlc: string, limitMs: number): string {
  return clampBelow(hlc, limitMs, textLimitOf(limitMs));
}

/**
 * What a clock at most `limitMs` compares below as text, when there is such a bound: its ms as
 * 15 zero-padded digits and a character above every clock's next one (`:`).
 */
function textLimitOf(limitMs: number): string | undefined {
  // Records written together share one: the last is kept (it is a pure function of limitMs).
  if (limitMs === lastLimit.ms) return lastLimit.text;
  if (!Number.isSafeInteger(limitMs) || limitMs < 0 || limitMs >= 1e15) return undefined;
  const text = `${String(limitMs).padStart(15, '0')}\uffff`;
  lastLimit = { ms: limitMs, text };
  return text;
}

let lastLimit: { readonly ms: number; readonly text: string } = { ms: Number.NaN, text: '' };

function clampBelow(hlc: string, limitMs: number, textLimit: string | undefined): string {
  // A clock starts with its ms as 15 zero-padded digits: a text compare settles most clocks.
  if (textLimit !== undefined && hlc < textLimit) return hlc;
  const parts = parseHlc(hlc);
  if (!parts || parts.ms <= limitMs) return hlc;
  return encodeHlc({ ms: limitMs, counter: parts.counter, node: parts.node });
}

/**
 * The op's clocks as the server takes them: its clock clamped to server time plus
 * `maxClockDriftMs`; field clocks only for fields of the schema that the op writes (an insert's
 * `data`, an update's patch; none for a delete), each at most the op's own clamped clock. Any
 * other field clock is dropped, never stored: a forged clock on one field cannot outlive the
 * op that carries it, and junk keys cannot pile up on a shared record.
 */
export function serverClocksOf(
  collection: CollectionDefinition,
  op: WireOp,
  ctx: ServerContext,
): Pick<WireOp, 'hlc' | 'fieldClocks'> {
  const hlc = clampHlc(op.hlc, ctx);
  const fieldClocks: FieldClocks = {};
  const written =
    op.type === 'insert' ? op.data : op.type === 'update' ? (op.patch ?? op.data) : null;
  if (written) {
    const shape = (collection.schema as { shape?: Record<string, unknown> }).shape ?? {};
    for (const field of Object.keys(written)) {
      const clock = op.fieldClocks[field];
      if (clock === undefined || !Object.hasOwn(shape, field)) continue;
      fieldClocks[field] = clock > hlc ? hlc : clock;
    }
  }
  return { hlc, fieldClocks };
}

/**
 * A stored record with its clocks brought down to its server write time plus
 * `maxClockDriftMs`: a clock stored from a far-future device (before clocks were clamped, or
 * under a larger drift) cannot win every later conflict; honest edits made after that window
 * win again.
 */
export function settleClocks(record: ServerRecord, ctx: ServerContext): ServerRecord {
  const limitMs = record.updatedAt + ctx.maxClockDriftMs;
  const textLimit = textLimitOf(limitMs);
  const hlc = clampBelow(record.hlc, limitMs, textLimit);
  let fieldClocks = record.fieldClocks;
  for (const field in record.fieldClocks) {
    if (!Object.hasOwn(record.fieldClocks, field)) continue;
    const clock = record.fieldClocks[field]!;
    const clamped = clampBelow(clock, limitMs, textLimit);
    if (clamped === clock) continue;
    if (fieldClocks === record.fieldClocks) fieldClocks = { ...record.fieldClocks };
    fieldClocks[field] = clamped;
  }
  return hlc === record.hlc && fieldClocks === record.fieldClocks
    ? record
    : { ...record, hlc, fieldClocks };
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

/**
 * `next` with its former states: in a collection with a `scope` function, the data `current`
 * had before this change goes first (when the data changed), so a user who could see it but not
 * `next` is told to remove the record. At most `maxFormerStates`, newest first.
 */
export function withFormerData(
  collection: CollectionDefinition,
  current: ServerRecord | undefined,
  next: ServerRecord,
  maxFormerStates: number,
): ServerRecord {
  if (!collection.scope || !current) return next;
  const kept = current.formerData ?? [];
  if (JSON.stringify(current.data) === JSON.stringify(next.data)) {
    return kept === next.formerData ? next : { ...next, formerData: kept };
  }
  return { ...next, formerData: [current.data, ...kept].slice(0, maxFormerStates) };
}
