// assertConverged for `sync: 'sets'` collections: a replica is compared with what its own sync
// sets cover on the server, not with the user's whole scope (docs/sync-sets.md).
import type { SyncClient } from '../client/index.js';
import type { CollectionDefinition, RecordData, SyncSetWhere } from '../core/index.js';
import { PROTOCOL_VERSION, matchesSyncSet, pullResponseSchema } from '../core/index.js';
import type { FetchHandler } from '../transport/index.js';
import type { ReplicaSnapshot } from './replica-snapshot.js';

/** How the harness reaches the server as one user. */
export interface CoverageSource {
  readonly server: FetchHandler;
  readonly headers: Record<string, string>;
  readonly clientId: string;
}

async function post(source: CoverageSource, kind: string, body: unknown): Promise<unknown> {
  const response = await source.server.fetch(
    new Request(`http://tidesync.harness/sync/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...source.headers },
      body: JSON.stringify({
        protocol: PROTOCOL_VERSION,
        clientId: source.clientId,
        ...(body as object),
      }),
    }),
  );
  return response.json();
}

/** Every record of one set's index range from the start, in its current state (by id). */
async function readSet(
  source: CoverageSource,
  collection: string,
  where: SyncSetWhere,
): Promise<Map<string, { version: number; deleted: boolean; data: RecordData }>> {
  const found = new Map<string, { version: number; deleted: boolean; data: RecordData }>();
  let cursor: string | null = null;
  for (let page = 0; page < 100_000; page++) {
    const body = await post(source, 'pull', { cursor, limit: 1000, set: { collection, where } });
    const parsed = pullResponseSchema.safeParse(body);
    if (!parsed.success) {
      throw new Error(
        `The server answered the harness's set pull with ${JSON.stringify(body).slice(0, 300)}`,
      );
    }
    for (const change of parsed.data.changes) {
      if ((found.get(change.id)?.version ?? -1) > change.version) continue;
      found.set(change.id, { version: change.version, deleted: change.deleted, data: change.data });
    }
    cursor = parsed.data.cursor;
    if (!parsed.data.hasMore) return found;
  }
  throw new Error('The server kept answering hasMore for 100,000 pages to the harness set pull.');
}

/**
 * `expected` with the rows of each `sync: 'sets'` collection replaced by the server records that
 * the client's persisted sets cover: a replica must hold exactly those (after a settle, records
 * it wrote outside its sets have left it; see docs/sync-sets.md).
 */
export async function narrowToSets(
  source: CoverageSource,
  client: SyncClient,
  collections: readonly CollectionDefinition[],
  expected: ReplicaSnapshot,
): Promise<ReplicaSnapshot> {
  const setCollections = collections.filter((c) => c.sync === 'sets');
  if (setCollections.length === 0) return expected;
  const narrowed: ReplicaSnapshot = new Map(expected);
  const sets = await client.syncSets();
  for (const collection of setCollections) {
    const mine = sets.filter((s) => s.collection === collection.name);
    const covers = (data: RecordData) => mine.some((s) => matchesSyncSet(data, s.where));
    const want = new Map<string, RecordData>();
    for (const set of mine) {
      for (const [id, record] of await readSet(source, collection.name, set.where)) {
        if (!record.deleted && covers(record.data)) want.set(id, record.data);
      }
    }
    narrowed.set(collection.name, want);
  }
  return narrowed;
}

/**
 * A line of `diffSnapshots` for a replica narrowed by {@link narrowToSets}, worded for a
 * sync-set collection: there "the server" means what the client's sets cover on the server.
 */
export function explainSetDiff(
  line: string,
  label: string,
  setCollections: ReadonlySet<string>,
): string {
  const collection = line.slice(label.length + 1, line.indexOf('/', label.length + 1));
  if (!line.startsWith(`${label} `) || !setCollections.has(collection)) return line;
  return line
    .replace(
      / \(absent or deleted on the server\)$/,
      " (none of the client's sync sets covers it on the server: absent, deleted, or moved out of them)",
    )
    .replace(
      /: missing \(server has /,
      ": missing (one of the client's sync sets covers it: server has ",
    );
}
