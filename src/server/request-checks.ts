import type { z } from '../core/schema-types.js';
import {
  FORBIDDEN_KEYS,
  MAX_MESSAGE_DEPTH,
  PROTOCOL_VERSION,
  describeValue,
  findUnsafeKey,
  markScreened,
  safeParseWire,
  toError,
} from '../core/index.js';
import type { SchemaParseResult } from '../core/index.js';
import { RequestRefusedError, describeIssues } from './replies.js';

/**
 * Refuses a body that is not declared `application/json` (any `charset` parameter is fine).
 * A browser sends `text/plain`, `application/x-www-form-urlencoded` and `multipart/form-data`
 * cross-site without a CORS preflight; `application/json` always needs one, so refusing the
 * others keeps cookie-authenticated endpoints safe from cross-site writes.
 * @throws RequestRefusedError 415 `unsupported_media_type`.
 */
export function checkContentType(request: Request, kind: string): void {
  const declared = request.headers.get('content-type');
  const mediaType = declared?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/json') return;
  throw new RequestRefusedError(
    415,
    'unsupported_media_type',
    `Send the ${kind} body with \`content-type: application/json\`, got ${describeValue(declared ?? undefined)}.`,
  );
}

/**
 * Parses a request body: JSON, an object, this protocol version, and no prototype key
 * (`__proto__`, `constructor`, `prototype`) at any depth, so that no schema can drop one
 * silently. @throws RequestRefusedError 400.
 */
export function parseRequestBody(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    // Also a RangeError from extreme nesting: still the client's fault, never a 500.
    throw new RequestRefusedError(
      400,
      'bad_request',
      `The request body is not valid JSON: ${toError(error).message.slice(0, 200)}`,
    );
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RequestRefusedError(
      400,
      'bad_request',
      `(root): expected a JSON object, got ${describeValue(body)}.`,
    );
  }
  const protocol = (body as { protocol?: unknown }).protocol;
  if (protocol !== PROTOCOL_VERSION) {
    throw new RequestRefusedError(
      400,
      'protocol_version',
      `protocol: this server speaks protocol ${PROTOCOL_VERSION}, got ${describeValue(protocol)}. Update the client.`,
    );
  }
  const unsafe = findUnsafeKey(body, 0, '', MAX_MESSAGE_DEPTH);
  if (unsafe !== undefined) {
    throw new RequestRefusedError(
      400,
      'bad_request',
      `${unsafe}: forbidden key (${[...FORBIDDEN_KEYS].join(', ')} are refused at any depth) or nesting too deep. Remove it.`,
    );
  }
  markScreened(body);
  return body as Record<string, unknown>;
}

/** Parses `body` with a wire schema. @throws RequestRefusedError 400 naming the bad fields. */
export function validate<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  let result: SchemaParseResult<z.infer<S>>;
  try {
    result = safeParseWire(schema, body);
  } catch {
    throw new RequestRefusedError(400, 'bad_request', 'The request body could not be validated.');
  }
  if (!result.success)
    throw new RequestRefusedError(400, 'bad_request', describeIssues(result.error));
  return result.data;
}
