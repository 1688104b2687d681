import type { z } from '../core/schema-types.js';
import type { ErrorResponse, WireErrorCode } from '../core/index.js';
import { PROTOCOL_VERSION, TidesyncError } from '../core/index.js';

/** An answer to a sync request: HTTP status and JSON body. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

/** A refused request: becomes an `errorResponseSchema` body with the given status. */
export class RequestRefusedError extends TidesyncError {
  readonly status: number;
  readonly wireCode: WireErrorCode;
  readonly lastSeq: number | undefined;

  constructor(status: number, wireCode: WireErrorCode, message: string, lastSeq?: number) {
    super('PROTOCOL_ERROR', message);
    this.status = status;
    this.wireCode = wireCode;
    this.lastSeq = lastSeq;
  }
}

/** A reply with an error body. */
export function errorReply(
  status: number,
  code: WireErrorCode,
  message: string,
  lastSeq?: number,
): Reply {
  const body: ErrorResponse = {
    protocol: PROTOCOL_VERSION,
    error: {
      code,
      message: message.length > 4000 ? `${message.slice(0, 3997)}...` : message,
      ...(lastSeq === undefined ? {} : { lastSeq }),
    },
  };
  return { status, body };
}

/** The reply for a refused request. */
export function refusedReply(error: RequestRefusedError): Reply {
  return errorReply(error.status, error.wireCode, error.message, error.lastSeq);
}

/** Describes zod issues with the dotted path of each bad field, for error messages. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    return `${path || '(root)'}: ${issue.message}`;
  });
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : '';
  const text = parts.join('; ') + more;
  return text.length > 1900 ? `${text.slice(0, 1897)}...` : text;
}
