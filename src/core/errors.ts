/**
 * Every error tidesync throws is a {@link TidesyncError} with a stable `code`.
 * Codes are API (see docs/errors.md); messages are for people and may change.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'INVALID_OPTION',
  'UNKNOWN_COLLECTION',
  'RECORD_NOT_FOUND',
  'RECORD_DELETED',
  'FORBIDDEN_FIELD',
  'STORAGE_CLOSED',
  'STORAGE_FAILED',
  'STORAGE_BUSY',
  'STORAGE_QUOTA_EXCEEDED',
  'STORAGE_UPGRADE_BLOCKED',
  'TRANSACTION_INACTIVE',
  'NETWORK_UNAVAILABLE',
  'SERVER_ERROR',
  'UNAUTHORIZED',
  'PROTOCOL_ERROR',
  'PROTOCOL_VERSION',
  'OP_REJECTED',
  'SYNC_STUCK',
  'CLIENT_CLOSED',
  'DEADLINE_EXCEEDED',
  'CONFLICT_NOT_FOUND',
  'NOT_CONVERGED',
  'USER_MISMATCH',
  'INVALID_REMOTE_RECORD',
  'RESOLVER_FAILED',
  'RESPONSE_TOO_LARGE',
  'REQUEST_ABORTED',
  'INVALID_QUERY',
  'STORAGE_IN_USE',
  'STORAGE_KEY_INVALID',
  'UNSYNCED_CHANGES',
  'RECORD_TOO_LARGE',
  'MIGRATION_FAILED',
  'SERVER_TOO_OLD',
  'UPGRADE_REQUIRED',
  'SYNC_SET_REMOVED',
] as const;

/** A stable, machine-readable error code. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Marks tidesync errors across copies of the library: the ESM and the CommonJS build (or two
 * bundled copies) each have their own classes, and `Symbol.for` is shared by all of them.
 */
const BRAND = Symbol.for('tidesync.error');

/** Base class of every error tidesync throws. Branch on `code`, not on the message. */
export class TidesyncError extends Error {
  /** Stable code; see docs/errors.md. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * `instanceof` also holds for errors made by another copy of tidesync (the ESM and the CJS
   * build in one app): a branded error is a `TidesyncError`, and an instance of a subclass
   * when a class of that name is on its prototype chain.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (!isTidesyncError(value)) return false;
    if (this === TidesyncError) return true;
    for (let p: unknown = Object.getPrototypeOf(value); p; p = Object.getPrototypeOf(p)) {
      if ((p as { constructor?: { name?: string } }).constructor?.name === this.name) return true;
    }
    return false;
  }
}

/**
 * True for an error thrown by tidesync, also by another copy of it (ESM and CJS builds mixed):
 * the check to use before reading `error.code`.
 */
export function isTidesyncError(value: unknown): value is TidesyncError {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as Record<symbol, unknown>)[BRAND] === true
  );
}

/** One problem found by schema validation. */
export interface ValidationIssue {
  /** Dotted path of the offending field (`''` for the whole value). */
  readonly path: string;
  /** What is wrong with it. */
  readonly message: string;
}

/** A value failed its collection schema or a wire schema. Nothing was written. */
export class ValidationError extends TidesyncError {
  /** Collection the value was meant for, when known. */
  readonly collection: string | undefined;
  /** Each problem, with the field path. */
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[], collection?: string) {
    super('VALIDATION_FAILED', message);
    this.collection = collection;
    this.issues = issues;
  }
}

/** The network or the server could not be reached, or answered with a retryable failure. */
export class NetworkError extends TidesyncError {
  /** Whether retrying later may succeed (network down, 5xx, 429). */
  readonly retryable: boolean;
  /** Server-requested wait before retrying (from `Retry-After`), if any. */
  readonly retryAfterMs: number | undefined;
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;

  constructor(
    code: 'NETWORK_UNAVAILABLE' | 'SERVER_ERROR' | 'UNAUTHORIZED',
    message: string,
    options: { retryable: boolean; retryAfterMs?: number; status?: number; cause?: unknown },
  ) {
    super(code, message, { cause: options.cause });
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

/** The other side sent something that does not follow the sync protocol. Nothing of it was stored. */
export class ProtocolError extends TidesyncError {
  constructor(
    message: string,
    options?: {
      cause?: unknown;
      code?: 'PROTOCOL_ERROR' | 'PROTOCOL_VERSION' | 'RESPONSE_TOO_LARGE';
    },
  ) {
    super(options?.code ?? 'PROTOCOL_ERROR', message, { cause: options?.cause });
  }
}

/** A storage adapter failed. `retryable` is true for transient failures such as a busy lock. */
export class StorageError extends TidesyncError {
  /** Whether the same call may succeed later. */
  readonly retryable: boolean;

  constructor(
    code:
      | 'STORAGE_FAILED'
      | 'STORAGE_BUSY'
      | 'STORAGE_CLOSED'
      | 'STORAGE_QUOTA_EXCEEDED'
      | 'STORAGE_UPGRADE_BLOCKED'
      | 'TRANSACTION_INACTIVE'
      | 'STORAGE_KEY_INVALID',
    message: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(code, message, { cause: options?.cause });
    this.retryable = options?.retryable ?? code === 'STORAGE_BUSY';
  }
}

/** Normalises any thrown value into an `Error`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}

/** Describes a value for an error message: `0 (number)`, `"x" (string)`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  const type = Array.isArray(value) ? 'array' : typeof value;
  let shown: string;
  try {
    // JSON shows NaN and ±Infinity as `null`; a number is shown as itself.
    shown = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  return `\`${shown}\` (${type})`;
}
