import { z } from 'zod';
import { isHlc } from './hybrid-logical-clock.js';

/** The sync protocol version spoken by this build. */
export const PROTOCOL_VERSION = 1;

/** Keys that are never accepted in data crossing the wire (prototype pollution). */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);

/** Deepest nesting accepted in record data. */
export const MAX_DATA_DEPTH = 32;

/**
 * Returns the path of the first forbidden key (`__proto__`, `constructor`, `prototype`) or the
 * first place deeper than {@link MAX_DATA_DEPTH}, else `undefined`.
 */
export function findUnsafeKey(value: unknown, depth = 0, path = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > MAX_DATA_DEPTH) return `${path} (nested deeper than ${MAX_DATA_DEPTH})`;
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return here;
    const found = findUnsafeKey((value as Record<string, unknown>)[key], depth + 1, here);
    if (found !== undefined) return found;
  }
  return undefined;
}

const id = z.string().min(1).max(128);
const hlc = z.string().refine(isHlc, 'expected a hybrid logical clock timestamp');
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Record data on the wire: a plain object without prototype keys, nested at most 32 deep. */
export const wireData = z
  .custom<Record<string, unknown>>(
    (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
    'expected an object',
  )
  .superRefine((v, ctx) => {
    const bad = findUnsafeKey(v);
    if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `forbidden key at ${bad}` });
  });

/** Per-field clocks on the wire. */
export const wireFieldClocks = z.record(z.string().max(256), hlc).superRefine((v, ctx) => {
  const bad = findUnsafeKey(v);
  if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `forbidden key at ${bad}` });
});

/** One outbox operation as pushed. `seq` is the op's push sequence number. */
export const wireOpSchema = z.object({
  opId: id,
  seq: count,
  collection: id,
  id,
  serverId: id.nullable(),
  type: z.enum(['insert', 'update', 'delete']),
  data: wireData.nullable().optional(),
  patch: wireData.nullable().optional(),
  baseVersion: count,
  hlc,
  fieldClocks: wireFieldClocks,
  /** Schema version of the collection the op was made under; absent means 1. */
  schemaVersion: count.min(1).optional(),
});
export type WireOp = z.infer<typeof wireOpSchema>;

/** A record as the server sends it. `id` is the canonical (server) id. */
export const wireRecordSchema = z.object({
  collection: id,
  id,
  version: count,
  data: wireData,
  hlc,
  fieldClocks: wireFieldClocks,
  deleted: z.boolean(),
  updatedAt: count,
  /** Client that created the record, and its local id there: lets that client match an echo. */
  originClientId: id.nullable(),
  originId: id.nullable(),
  /** Schema version of `data`; absent means 1. */
  schemaVersion: count.min(1).optional(),
});
export type WireRecord = z.infer<typeof wireRecordSchema>;

export const pushRequestSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  clientId: id,
  ops: z.array(wireOpSchema).min(1),
});
export type PushRequest = z.infer<typeof pushRequestSchema>;

export const opResultSchema = z.discriminatedUnion('status', [
  z.object({
    opId: id,
    status: z.literal('applied'),
    serverId: id,
    version: count,
    record: wireRecordSchema,
    /** True when the op was concurrent and the collection's strategy merged it on the server. */
    merged: z.boolean(),
  }),
  z.object({
    opId: id,
    status: z.literal('conflict'),
    serverId: id,
    /** The server's current version (a tombstone when it was deleted). */
    record: wireRecordSchema,
  }),
  z.object({
    opId: id,
    status: z.literal('rejected'),
    code: z.string().min(1).max(64),
    message: z.string().max(2000),
  }),
]);
export type OpResult = z.infer<typeof opResultSchema>;

export const pushResponseSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  results: z.array(opResultSchema),
  /** Highest push sequence number the server has recorded for this client. */
  lastSeq: count,
});
export type PushResponse = z.infer<typeof pushResponseSchema>;

export const pullRequestSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  clientId: id,
  /** Opaque cursor from the previous pull, `null` for a first pull. */
  cursor: z.string().max(1024).nullable(),
  limit: z.number().int().min(1).max(1000),
  /** The client's schema version per collection; a collection left out is at version 1. */
  schemaVersions: z.record(id, count.min(1)).optional(),
});
export type PullRequest = z.infer<typeof pullRequestSchema>;

export const pullResponseSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  changes: z.array(wireRecordSchema),
  cursor: z.string().min(1).max(1024),
  hasMore: z.boolean(),
  /**
   * True when the client's cursor was not valid for this server (restored from a backup, or
   * another epoch): the changes start from the beginning and the client must re-base.
   */
  reset: z.boolean(),
});
export type PullResponse = z.infer<typeof pullResponseSchema>;

export const getRequestSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  clientId: id,
  collection: id,
  ids: z.array(id).min(1).max(1000),
});
export type GetRequest = z.infer<typeof getRequestSchema>;

export const getResponseSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  records: z.array(wireRecordSchema),
});
export type GetResponse = z.infer<typeof getResponseSchema>;

/** Error codes a server may answer with; see docs/protocol.md. */
export const WIRE_ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'payload_too_large',
  'protocol_version',
  'seq_gap',
  'internal',
  'server_too_old',
  'upgrade_required',
] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

export const errorResponseSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  error: z.object({
    code: z.enum(WIRE_ERROR_CODES),
    message: z.string().max(4000),
    /** With `seq_gap`: the last push sequence number the server recorded for this client. */
    lastSeq: count.optional(),
  }),
});
export type ErrorResponse = z.infer<typeof errorResponseSchema>;

/** Kinds of request, routed by the last path segment of the mount URL. */
export type RequestKind = 'push' | 'pull' | 'get';
