import { createId } from '../../core/index.js';
import type { LiveChannel } from '../server-store.js';
import type {
  ChangeNotice,
  CommittedChange,
  IndexedValues,
  SetChange,
} from './committed-change.js';

/** A pg client that can LISTEN: pg's `PoolClient` (its `notification` and `error` events). */
interface ListeningClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  release(error?: Error | boolean): void;
  on?(
    event: 'notification',
    listener: (message: { channel: string; payload?: string }) => void,
  ): unknown;
  on?(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
}

interface Pool {
  connect(): Promise<ListeningClient>;
}

// NOTIFY payloads must stay under 8000 bytes; a change naming more records is split.
const MAX_PAYLOAD_CHARS = 7000;
const RELISTEN_BASE_MS = 500;
const RELISTEN_MAX_MS = 30_000;

/** The wire form of a notice between instances: ids and owners, never record data. */
interface NoticePayload {
  /** Sending instance, so it skips its own notices (it delivered them already). */
  readonly i: string;
  readonly c: string | null;
  readonly o: readonly string[];
  /** Scoped records: collection, id and the version the change gave it. */
  readonly s: readonly (readonly [string, string, number?])[];
  /**
   * Records of `sync: 'sets'` collections: collection, id, owner and the indexed values before
   * and after (`null`: none). Absent from older instances, whose `o` names their owners.
   */
  readonly x?: readonly (readonly [
    string,
    string,
    string,
    IndexedValues | null,
    IndexedValues | null,
  ])[];
}

/** A {@link LiveChannel} with a `close()` the store calls when it closes. */
export interface PostgresLiveChannel extends LiveChannel {
  close(): Promise<void>;
}

/**
 * Live pokes across every server instance on one Postgres database: the instance that committed
 * a push sends `NOTIFY` after the commit (with the feed head, in the same statement), and each
 * instance with open live streams keeps one dedicated connection that `LISTEN`s. Started by the
 * first live stream of an instance, stopped when the last one ends or the store closes. If the
 * listening connection drops it comes back with backoff, and every stream is poked once, since
 * notices sent meanwhile were missed.
 */
export function postgresLiveChannel(
  pool: Pool,
  tables: string,
  schema: string,
  onError: (error: Error) => void = (error) => console.error('[tidesync live]', error),
): PostgresLiveChannel {
  const instance = createId();
  const channel = channelName(schema);
  const listeners = new Set<{ notice: (n: ChangeNotice) => void; resync?: () => void }>();
  let client: ListeningClient | undefined;
  let starting: Promise<void> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let closed = false;

  const deliver = (notice: ChangeNotice) => {
    for (const listener of [...listeners]) listener.notice(notice);
  };

  const onNotification = (message: { channel: string; payload?: string }) => {
    if (message.channel !== channel || !message.payload) return;
    const space = message.payload.indexOf(' ');
    try {
      const position = Number(message.payload.slice(0, space));
      const payload = JSON.parse(message.payload.slice(space + 1)) as NoticePayload;
      if (payload.i === instance || !Number.isSafeInteger(position)) return;
      deliver({
        position,
        originClientId: payload.c,
        ownerIds: payload.o,
        scoped: payload.s.map(([collection, id, version]) =>
          typeof version === 'number' && Number.isSafeInteger(version)
            ? { collection, id, version }
            : { collection, id },
        ),
        setChanges: (payload.x ?? []).map(
          ([collection, id, ownerId, before, after]): SetChange => ({
            collection,
            id,
            ownerId,
            before,
            after,
          }),
        ),
      });
    } catch {
      // Not one of ours: ignore it.
    }
  };

  const listen = async (): Promise<void> => {
    const connection = await pool.connect();
    if (typeof connection.on !== 'function') {
      connection.release();
      throw new Error(
        'The Postgres pool gives clients without `on()`; live sync across instances needs a pg Pool. Pokes stay within this process.',
      );
    }
    connection.on('notification', onNotification);
    connection.on('error', (error?: Error) => lost(connection, error));
    connection.on('end', () => lost(connection));
    await connection.query(`LISTEN "${channel}"`);
    if (closed || listeners.size === 0) {
      connection.release(true);
      return;
    }
    client = connection;
    const wasRetry = attempt > 0;
    attempt = 0;
    if (wasRetry) for (const listener of [...listeners]) listener.resync?.();
  };

  const start = () => {
    if (client || starting || closed || retryTimer) return;
    starting = listen()
      .catch((error: unknown) => {
        onError(error instanceof Error ? error : new Error(String(error)));
        scheduleRetry();
      })
      .finally(() => {
        starting = undefined;
      });
  };

  const scheduleRetry = () => {
    if (closed || listeners.size === 0 || retryTimer) return;
    const ceiling = Math.min(RELISTEN_MAX_MS, RELISTEN_BASE_MS * 2 ** Math.min(attempt, 10));
    attempt += 1;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      start();
    }, Math.random() * ceiling);
    (retryTimer as { unref?: () => void }).unref?.();
  };

  const lost = (connection: ListeningClient, error?: Error) => {
    if (client !== connection) return;
    client = undefined;
    connection.release(error ?? true);
    if (attempt === 0) attempt = 1;
    scheduleRetry();
  };

  const stop = async () => {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = undefined;
    await starting;
    const connection = client;
    client = undefined;
    // Destroyed, not returned to the pool: a pooled connection must not keep listening.
    connection?.release(true);
  };

  return {
    async publish(change: CommittedChange) {
      const payloads = split(instance, change);
      let position: number | undefined;
      const connection = await pool.connect();
      try {
        for (const payload of payloads) {
          // The head and the NOTIFY in one statement: one round trip per push.
          const result = await connection.query(
            `SELECT head, pg_notify($1, head::text || ' ' || $2) FROM ${tables}meta WHERE id = 1`,
            [channel, payload],
          );
          const head = Number((result.rows[0] as { head?: unknown } | undefined)?.head);
          position ??= Number.isSafeInteger(head) ? head : undefined;
        }
      } finally {
        connection.release();
      }
      if (position !== undefined && listeners.size > 0) deliver({ ...change, position });
    },
    subscribe(notice, resync) {
      const listener = resync ? { notice, resync } : { notice };
      listeners.add(listener);
      start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) void stop();
      };
    },
    async close() {
      closed = true;
      listeners.clear();
      await stop();
    },
  };
}

/** A LISTEN channel per store schema (an identifier of at most 63 bytes). */
function channelName(schema: string): string {
  const name = `tidesync_live_${schema}`;
  if (name.length <= 63) return name;
  let hash = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) {
    hash ^= schema.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `tidesync_live_${schema.slice(0, 36)}_${hash.toString(36)}`;
}

/** The change as NOTIFY payloads under the size limit (most changes: one). */
function split(instance: string, change: CommittedChange): string[] {
  const payloads: string[] = [];
  let owners: string[] = [];
  let scoped: [string, string, number][] = [];
  let sets: [string, string, string, IndexedValues | null, IndexedValues | null][] = [];
  let size = 0;
  const flush = () => {
    payloads.push(
      JSON.stringify({
        i: instance,
        c: change.originClientId,
        o: owners,
        s: scoped,
        ...(sets.length > 0 ? { x: sets } : {}),
      } satisfies NoticePayload),
    );
    owners = [];
    scoped = [];
    sets = [];
    size = 0;
  };
  for (const owner of change.ownerIds) {
    if (size + owner.length > MAX_PAYLOAD_CHARS) flush();
    owners.push(owner);
    size += owner.length + 4;
  }
  for (const { collection, id, version } of change.scoped) {
    if (size + collection.length + id.length + 24 > MAX_PAYLOAD_CHARS) flush();
    scoped.push([collection, id, version]);
    size += collection.length + id.length + 24;
  }
  for (const { collection, id, ownerId, before, after } of change.setChanges) {
    let entry: [string, string, string, IndexedValues | null, IndexedValues | null] = [
      collection,
      id,
      ownerId,
      before,
      after,
    ];
    let length = JSON.stringify(entry).length + 1;
    if (length > MAX_PAYLOAD_CHARS / 2) {
      // Index values too long for a notice: sent without them, every stream that sees it pulls.
      entry = [collection, id, ownerId, null, null];
      length = JSON.stringify(entry).length + 1;
    }
    if (size + length > MAX_PAYLOAD_CHARS) flush();
    sets.push(entry);
    size += length;
  }
  if (owners.length > 0 || scoped.length > 0 || sets.length > 0 || payloads.length === 0) flush();
  return payloads;
}
