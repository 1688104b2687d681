import { ERROR_CODES, type ErrorCode } from './errors.js';

/**
 * The thrown-style code (`VALIDATION_FAILED`) for each lower-case code the server sends
 * (`validation_failed`): a dead letter's reason or an error response. Documented in
 * docs/errors.md ("One casing").
 */
const FROM_WIRE: Readonly<Record<string, ErrorCode>> = {
  validation_failed: 'VALIDATION_FAILED',
  unknown_collection: 'UNKNOWN_COLLECTION',
  not_found: 'RECORD_NOT_FOUND',
  forbidden: 'OP_REJECTED',
  bad_request: 'OP_REJECTED',
  payload_too_large: 'OP_REJECTED',
  unauthorized: 'UNAUTHORIZED',
  protocol_version: 'PROTOCOL_VERSION',
  seq_gap: 'PROTOCOL_ERROR',
  internal: 'SERVER_ERROR',
};

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);

/**
 * Maps a code an app sees anywhere to one casing, the thrown {@link ErrorCode}: a dead
 * letter's `reason.code` or the `code` of a `deadLetter` event (wire codes such as
 * `validation_failed`, or `SERVER_ERROR`) and thrown codes (returned as they are). A server
 * code tidesync does not know maps to `OP_REJECTED`.
 *
 * @example
 * client.on('deadLetter', (e) => {
 *   if (toErrorCode(e.code) === 'VALIDATION_FAILED') showInvalid(e.message);
 * });
 */
export function toErrorCode(code: string): ErrorCode {
  if (KNOWN.has(code)) return code as ErrorCode;
  return FROM_WIRE[code] ?? 'OP_REJECTED';
}
