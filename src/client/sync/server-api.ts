import type { z } from '../../core/schema-types.js';
import type {
  ErrorResponse,
  GetResponse,
  PullRequest,
  PullResponse,
  PushResponse,
  StreamEvent,
  StreamKind,
  Transport,
  WireOp,
} from '../../core/index.js';
import {
  PROTOCOL_VERSION,
  ProtocolError,
  TidesyncError,
  errorResponseSchema,
  getResponseSchema,
  pullResponseSchema,
  pushResponseSchema,
  safeParseWire,
} from '../../core/index.js';
import { schemaRefusal } from './schema-versions.js';
import { userMismatch } from './user-mismatch.js';

/** The server's error body: its code, message and (with `seq_gap`) last recorded seq. */
export type ServerRefusal = ErrorResponse['error'];

/** A parsed answer: the reply, or the server's refusal (an error body). */
export type ServerAnswer<T> =
  | { readonly ok: true; readonly reply: T }
  | { readonly ok: false; readonly refusal: ServerRefusal };

/** What the caller was doing, for the message of a malformed answer. */
const KEPT = {
  push: 'Nothing was applied; the outbox is kept.',
  pull: 'Nothing was stored; the cursor is unchanged.',
  get: 'Nothing was stored.',
} as const;

type Kind = keyof typeof KEPT;

/**
 * The client's one port to the server: the only code that calls `Transport.send` and
 * `Transport.openStream`, and that parses replies, error bodies included (zod, once per
 * answer). Built once per client at open; every request carries the client id and protocol.
 */
export class ServerApi {
  readonly #transport: Transport;
  readonly #clientId: string;

  constructor(transport: Transport, clientId: string) {
    this.#transport = transport;
    this.#clientId = clientId;
  }

  /** The transport's largest accepted answer in bytes, when it declares one. */
  get maxResponseBytes(): number | undefined {
    return this.#transport.maxResponseBytes;
  }

  /** Sends a batch of ops, asking for lean results (the client rebuilds the op's own record). */
  push(ops: readonly WireOp[], signal?: AbortSignal): Promise<ServerAnswer<PushResponse>> {
    const body = { protocol: PROTOCOL_VERSION, clientId: this.#clientId, ops, lean: true };
    return this.#send('push', body, pushResponseSchema, signal);
  }

  /** Requests the page after a cursor. */
  pull(
    request: Omit<PullRequest, 'protocol' | 'clientId'>,
    signal?: AbortSignal,
  ): Promise<ServerAnswer<PullResponse>> {
    const body = { protocol: PROTOCOL_VERSION, clientId: this.#clientId, ...request };
    return this.#send('pull', body, pullResponseSchema, signal);
  }

  /** Requests records of one collection by server id. */
  get(
    collection: string,
    ids: readonly string[],
    signal?: AbortSignal,
  ): Promise<ServerAnswer<GetResponse>> {
    const body = { protocol: PROTOCOL_VERSION, clientId: this.#clientId, collection, ids };
    return this.#send('get', body, getResponseSchema, signal);
  }

  /** Opens a stream (the live trigger's); `undefined` when the transport cannot stream. */
  get openStream():
    | ((
        kind: StreamKind,
        body: unknown,
        signal: AbortSignal,
      ) => Promise<AsyncIterable<StreamEvent>>)
    | undefined {
    const open = this.#transport.openStream?.bind(this.#transport);
    return open ? (kind, body, signal) => open(kind, body, { signal }) : undefined;
  }

  /**
   * The error to throw for a refusal the caller does not handle itself. For a push or pull:
   * `USER_MISMATCH` for `forbidden`, `SERVER_TOO_OLD` / `UPGRADE_REQUIRED` for schema refusals;
   * otherwise (and for every refused get) `PROTOCOL_ERROR` naming the request.
   */
  refusalError(kind: Kind, refusal: ServerRefusal): TidesyncError {
    const { code, message } = refusal;
    if (kind !== 'get') {
      if (code === 'forbidden') return userMismatch(this.#clientId, message);
      const schema = schemaRefusal(code, message);
      if (schema) return schema;
    }
    return new ProtocolError(`The server refused the ${kind} with \`${code}\`: ${message}`);
  }

  async #send<T>(
    kind: Kind,
    body: unknown,
    schema: z.ZodType<T>,
    signal: AbortSignal | undefined,
  ): Promise<ServerAnswer<T>> {
    const raw = await this.#transport.send(kind, body, signal ? { signal } : {});
    // Only an object with an `error` key can be an error answer: a reply skips that schema.
    if (typeof raw === 'object' && raw !== null && 'error' in raw) {
      const failure = errorResponseSchema.safeParse(raw);
      if (failure.success) return { ok: false, refusal: failure.data.error };
    }
    // A body the HTTP transport already screened whole skips the per-record re-walk.
    const parsed = safeParseWire(schema, raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ProtocolError(
        `The server's ${kind} response does not follow protocol ${PROTOCOL_VERSION}: ${issue?.message ?? 'invalid'} at \`${issue?.path.join('.') ?? ''}\`. ${KEPT[kind]}`,
      );
    }
    return { ok: true, reply: parsed.data };
  }
}

/**
 * The client's server port, for a call that needs one; `action` says what the client could not
 * do without it.
 * @throws TidesyncError `INVALID_OPTION` when the client has no transport
 */
export function requireServer(server: ServerApi | undefined, action: string): ServerApi {
  if (server) return server;
  throw new TidesyncError(
    'INVALID_OPTION',
    `This client has no \`transport\`, so it cannot ${action}. Pass \`transport: httpTransport({ url })\` to \`createSyncClient()\`.`,
  );
}
