/**
 * A sync server for the multi-tab browser test, mounted at `/sync` of the harness server. It
 * records every push (its opIds, how many overlapped) so the test can check that only one tab
 * pushed and nothing was sent twice.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectionDefinition } from 'tidesync';
import { createSyncServer, memoryServerStore, type ServerRecord } from 'tidesync/server';

/** What the test reads back from {@link tabsSyncServer}. */
export interface TabsSyncServer {
  /** For `startBrowserHarness({ handler })`: serves `/sync/...`, passes on everything else. */
  readonly handler: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;
  /** Every opId pushed, in arrival order, duplicates included. */
  readonly pushedOpIds: string[];
  /** The most push requests handled at one time. */
  maxPushesInFlight(): number;
  /** Writes the store applied (feed head): one per op when nothing was applied twice. */
  appliedWrites(): Promise<number>;
  /** Every live record the server holds. */
  records(): Promise<ServerRecord[]>;
  /** Resolves once the server holds at least `count` live records. */
  whenRecords(count: number): Promise<ServerRecord[]>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Creates the server; every request is answered by `createSyncServer().fetch`. */
export function tabsSyncServer(collections: readonly CollectionDefinition[]): TabsSyncServer {
  const store = memoryServerStore();
  const server = createSyncServer({ collections, store, authorize: () => ({ userId: 'alice' }) });
  const pushedOpIds: string[] = [];
  const waiters = new Set<() => void>();
  let inFlight = 0;
  let maxInFlight = 0;

  const records = async (): Promise<ServerRecord[]> =>
    (await store.read((reader) => reader.listChanges(0, 10_000)))
      .map((entry) => entry.record)
      .filter((record) => !record.deleted);

  const handler = async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (!url.pathname.startsWith('/sync/')) return false;
    const body = await readBody(request);
    const isPush = url.pathname.endsWith('/push');
    if (isPush) {
      const parsed = JSON.parse(body.toString('utf8')) as { ops?: { opId: string }[] };
      pushedOpIds.push(...(parsed.ops ?? []).map((op) => op.opId));
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
    }
    try {
      const reply = await server.fetch(
        new Request(url, {
          method: request.method ?? 'POST',
          headers: { 'content-type': 'application/json' },
          body: new Uint8Array(body),
        }),
      );
      response.statusCode = reply.status;
      reply.headers.forEach((value, name) => response.setHeader(name, value));
      response.end(Buffer.from(await reply.arrayBuffer()));
    } finally {
      if (isPush) inFlight -= 1;
      for (const wake of [...waiters]) wake();
    }
    return true;
  };

  return {
    handler,
    pushedOpIds,
    maxPushesInFlight: () => maxInFlight,
    appliedWrites: () => store.read((reader) => reader.getHead()),
    records,
    whenRecords(count) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          records().then((rows) => {
            if (rows.length < count) return;
            waiters.delete(check);
            resolve(rows);
          }, reject);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
