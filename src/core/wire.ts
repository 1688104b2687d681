import * as z from 'zod/mini';
import { isHlc } from './hybrid-logical-clock.js';
import { findUnsafeKey, isScreenedParse } from './unsafe-keys.js';
import { syncSetSpecSchema } from './sync-set-wire.js';
import { wireObject } from './wire-object.js';
import { UNSTORABLE_MESSAGE, isStorableString } from './storable-strings.js';

/** The sync protocol version spoken by this build. */
export const PROTOCOL_VERSION = 1;

export {
  FORBIDDEN_KEYS,
  MAX_DATA_DEPTH,
  MAX_MESSAGE_DEPTH,
  findUnsafeKey,
  markScreened,
  safeParseWire,
} from './unsafe-keys.js';
export { escapeUnstorable, findUnstorableString, isStorableString } from './storable-strings.js';

const id = z.string().check(z.minLength(1), z.maxLength(128));
/** An id the server stores or looks up as a whole request's key: refused whole when unstorable. */
const envelopeId = id.check(z.refine(isStorableString, UNSTORABLE_MESSAGE));
const hlc = z.string().check(z.refine(isHlc, 'expected a hybrid logical clock timestamp'));
const count = z.number().check(z.int(), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER));
/** A count of at least 1 (a schema version). */
const version = count.check(z.minimum(1));

const isObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);
const noUnsafeKey = z.superRefine<Record<string, unknown>>((v, ctx) => {
  if (isScreenedParse()) return;
  const bad = findUnsafeKey(v);
  if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `forbidden key at ${bad}` });
});

/** Record data on the wire: a plain object without prototype keys, nested at most 32 deep. */
export const wireData = z
  .custom<Record<string, unknown>>(isObject, 'expected an object')
  .check(noUnsafeKey);

/**
 * Per-field clocks on the wire. The prototype-key check runs on the input: `z.record` drops a
 * `__proto__` key silently, so a check on its output would never see one.
 */
export const wireFieldClocks = z.pipe(
  z.custom<Record<string, unknown>>(isObject, 'expected an object').check(noUnsafeKey),
  z.record(z.string().check(z.maxLength(256)), hlc),
);

/** One outbox operation as pushed. `seq` is the op's push sequence number. */
export const wireOpSchema = wireObject({
  opId: envelopeId,
  seq: count,
  collection: id,
  id,
  serverId: z.nullable(id),
  type: z.enum(['insert', 'update', 'delete']),
  data: z.optional(z.nullable(wireData)),
  patch: z.optional(z.nullable(wireData)),
  baseVersion: count,
  hlc,
  fieldClocks: wireFieldClocks,
  /** Schema version of the collection the op was made under; absent means 1. */
  schemaVersion: z.optional(version),
});
export type WireOp = z.infer<typeof wireOpSchema>;

/** A record as the server sends it. `id` is the canonical (server) id. */
export const wireRecordSchema = wireObject({
  collection: id,
  id,
  version: count,
  data: wireData,
  hlc,
  fieldClocks: wireFieldClocks,
  deleted: z.boolean(),
  updatedAt: count,
  /** Client that created the record, and its local id there: lets that client match an echo. */
  originClientId: z.nullable(id),
  originId: z.nullable(id),
  /** Schema version of `data`; absent means 1. */
  schemaVersion: z.optional(version),
});
export type WireRecord = z.infer<typeof wireRecordSchema>;

/** A record that left the user's scope: the client removes it from the device. */
export const removedRecordSchema = wireObject({ collection: id, id, version: count });
/** A pulled change the server left out: the record alone is larger than the client's `maxBytes`. */
export const skippedRecordSchema = wireObject({
  collection: id,
  id,
  version: count,
  /** Size of the record on the wire (JSON, UTF-8). */
  bytes: count,
  code: z.literal('record_too_large'),
});
export type RemovedRecord = z.infer<typeof removedRecordSchema>;
export type SkippedRecord = z.infer<typeof skippedRecordSchema>;

export const pushRequestSchema = wireObject({
  protocol: z.literal(PROTOCOL_VERSION),
  clientId: envelopeId,
  ops: z.array(wireOpSchema).check(z.minLength(1)),
  /**
   * The client rebuilds an applied op's record from the op it sent when the result leaves
   * `record` out (a lean result, see {@link opResultSchema}). Absent: every applied result
   * carries its record (servers from before the flag ignore it and always do).
   */
  lean: z.optional(z.boolean()),
});
export type PushRequest = z.infer<typeof pushRequestSchema>;

/**
 * One op's outcome in a push answer. An `applied` result carries the record as the server
 * stored it, or, to a request with `lean: true`, only its metadata (`hlc`, `fieldClocks`,
 * `updatedAt`, `merged: false`, no `record`) when the record is exactly the op's own: its
 * `data` for an insert or update (a tombstone for a delete), at the op's schema version. The
 * client checks that a result without `record` has that metadata.
 */
export const opResultSchema = z.discriminatedUnion('status', [
  wireObject({
    opId: id,
    status: z.literal('applied'),
    serverId: id,
    version: count,
    /** The record as stored; left out of a lean result. */
    record: z.optional(wireRecordSchema),
    /** True when the op was concurrent and the collection's strategy merged it on the server. */
    merged: z.boolean(),
    /** Lean results: the record's clock as stored (the server may have clamped the op's). */
    hlc: z.optional(hlc),
    /** Lean results: the record's field clocks as stored. */
    fieldClocks: z.optional(wireFieldClocks),
    /** Lean results: the server's `updatedAt` of the record. */
    updatedAt: z.optional(count),
  }),
  wireObject({
    opId: id,
    status: z.literal('conflict'),
    serverId: id,
    /** The server's current version (a tombstone when it was deleted). */
    record: wireRecordSchema,
  }),
  wireObject({
    opId: id,
    status: z.literal('rejected'),
    code: z.string().check(z.minLength(1), z.maxLength(64)),
    message: z.string().check(z.maxLength(2000)),
  }),
]);
/** A push result as it crosses the wire: an applied one may be lean (no `record`). */
export type WireOpResult = z.infer<typeof opResultSchema>;
type WireApplied = Extract<WireOpResult, { status: 'applied' }>;
/** An applied result with its record: what the server computes and records. */
export type AppliedResult = Omit<WireApplied, 'record' | 'hlc' | 'fieldClocks' | 'updatedAt'> & {
  readonly record: WireRecord;
};
/** An applied result without its record: the record is the op's own (see {@link opResultSchema}). */
export type LeanAppliedResult = Omit<
  WireApplied,
  'record' | 'hlc' | 'fieldClocks' | 'updatedAt'
> & {
  readonly merged: false;
  readonly hlc: string;
  readonly fieldClocks: Record<string, string>;
  readonly updatedAt: number;
};
/** A push result with every applied op's record: what the server records and replays. */
export type OpResult = AppliedResult | Exclude<WireOpResult, { status: 'applied' }>;

export const pushResponseSchema = wireObject({
  protocol: z.literal(PROTOCOL_VERSION),
  results: z.array(opResultSchema),
  /** Highest push sequence number the server has recorded for this client. */
  lastSeq: count,
  /** Server wall-clock ms when it answered (clients keep their clocks within the drift of it). */
  serverTime: z.optional(count),
  /** How far ahead of `serverTime` the server accepts op clocks before clamping them. */
  maxClockDriftMs: z.optional(count),
});
export type PushResponse = z.infer<typeof pushResponseSchema>;

/** The most ids in a set pull's `held` list. */
export const MAX_HELD_RECORDS = 100;

export const pullRequestSchema = wireObject({
  protocol: z.literal(PROTOCOL_VERSION),
  clientId: envelopeId,
  /** Opaque cursor from the previous pull, `null` for a first pull. */
  cursor: z.nullable(
    z.string().check(z.maxLength(1024), z.refine(isStorableString, UNSTORABLE_MESSAGE)),
  ),
  limit: z.number().check(z.int(), z.minimum(1), z.maximum(1000)),
  /**
   * The most bytes the client takes in one answer (its transport's limit). The server fills a
   * page up to the smaller of this and its own page limit, always at least one entry; a record
   * that alone is larger goes in `skipped`. Absent: only the server's limit applies.
   */
  maxBytes: z.optional(
    z.number().check(z.int(), z.minimum(4096), z.maximum(Number.MAX_SAFE_INTEGER)),
  ),
  /** The client's schema version per collection; a collection left out is at version 1. */
  schemaVersions: z.optional(z.record(id, version)),
  /** Pull one sync set (docs/sync-sets.md) instead of the feed; `cursor` is then the set's. */
  set: z.optional(syncSetSpecSchema),
  /**
   * With `set`: server ids of that collection's records the device holds unsynced and whose
   * server copy no set of the device covers. The page also carries their current state, so an
   * open conflict's server side stays current (docs/sync-sets.md).
   */
  held: z.optional(z.array(id).check(z.maxLength(MAX_HELD_RECORDS))),
  /** Ask for `remaining` in the answer (a pull run's first page). */
  countRemaining: z.optional(z.boolean()),
  /**
   * The client's highest push seq whose answer, and those of every op before it, it has
   * applied: the server leaves out the states this client wrote with a seq at most this (its
   * own echoes; the cursor still moves past them). Absent: nothing is left out.
   */
  appliedSeq: z.optional(count),
});
export type PullRequest = z.infer<typeof pullRequestSchema>;

export const pullResponseSchema = wireObject({
  protocol: z.literal(PROTOCOL_VERSION),
  changes: z.array(wireRecordSchema),
  /** Changes of this page too large for the client's `maxBytes`; the cursor is past them. */
  skipped: z.optional(z.array(skippedRecordSchema)),
  /** Records of this page that the user could see before and no longer may; cursor is past them. */
  removed: z.optional(z.array(removedRecordSchema)),
  cursor: z.string().check(z.minLength(1), z.maxLength(1024)),
  hasMore: z.boolean(),
  /** With `countRemaining`: changes after the request's cursor at the time of the answer. */
  remaining: z.optional(count),
  /**
   * True when the client's cursor was not valid for this server (restored from a backup, or
   * another epoch): the changes start from the beginning and the client must re-base.
   */
  reset: z.boolean(),
  /** Server wall-clock ms when it answered (clients keep their clocks within the drift of it). */
  serverTime: z.optional(count),
  /** How far ahead of `serverTime` the server accepts op clocks before clamping them. */
  maxClockDriftMs: z.optional(count),
});
export type PullResponse = z.infer<typeof pullResponseSchema>;

/** Error codes a server may answer with; see docs/protocol.md. */
export const WIRE_ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'payload_too_large',
  'unsupported_media_type',
  'protocol_version',
  'seq_gap',
  'internal',
  'server_too_old',
  'upgrade_required',
] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

export const errorResponseSchema = wireObject({
  protocol: z.literal(PROTOCOL_VERSION),
  error: wireObject({
    code: z.enum(WIRE_ERROR_CODES),
    message: z.string().check(z.maxLength(4000)),
    /** With `seq_gap`: the last push sequence number the server recorded for this client. */
    lastSeq: z.optional(count),
  }),
});
export type ErrorResponse = z.infer<typeof errorResponseSchema>;

export const getRequestSchema = wireObject({
  protocol: z.literal(PROTOCOL_VERSION),
  clientId: envelopeId,
  collection: envelopeId,
  ids: z.array(envelopeId).check(z.minLength(1), z.maxLength(1000)),
});
export type GetRequest = z.infer<typeof getRequestSchema>;

export const getResponseSchema = wireObject({
  protocol: z.literal(PROTOCOL_VERSION),
  records: z.array(wireRecordSchema),
});
export type GetResponse = z.infer<typeof getResponseSchema>;

/** Kinds of request, routed by the last path segment of the mount URL. */
export type RequestKind = 'push' | 'pull' | 'get';
