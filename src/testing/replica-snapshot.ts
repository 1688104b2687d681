import type { SyncClient } from '../client/index.js';
import type { CollectionDefinition, RecordData } from '../core/index.js';
import { PROTOCOL_VERSION, pullResponseSchema } from '../core/index.js';
import type { FetchHandler } from '../transport/index.js';

/** Visible data of one replica: collection -> canonical id -> fields (sync metadata aside). */
export type ReplicaSnapshot = Map<string, Map<string, RecordData>>;

const META = new Set(['id', 'serverId', 'updatedAt', 'syncStatus']);

/** A JSON string with object keys sorted, so equal data gives equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** FNV-1a over the canonical JSON of a snapshot: equal replicas have equal digests. */
export function snapshotDigest(snapshot: ReplicaSnapshot): string {
  const sorted = [...snapshot.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([c, rows]) => [c, [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1))]);
  const text = canonicalJson(sorted);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** Problems that make a client replica not comparable (unsynced or conflicted records). */
export interface ReplicaIssue {
  readonly collection: string;
  readonly id: string;
  readonly problem: string;
}

/** Reads what an app sees on `client`, keyed by server id. */
export async function clientSnapshot(
  client: SyncClient,
  collections: readonly CollectionDefinition[],
): Promise<{ snapshot: ReplicaSnapshot; issues: ReplicaIssue[] }> {
  const snapshot: ReplicaSnapshot = new Map();
  const issues: ReplicaIssue[] = [];
  for (const c of collections) {
    const rows = new Map<string, RecordData>();
    for (const row of await client.collection(c.name).find()) {
      const record = row as RecordData & {
        id: string;
        serverId: string | null;
        syncStatus: string;
      };
      if (record.serverId === null) {
        issues.push({
          collection: c.name,
          id: record.id,
          problem: 'never confirmed by the server (serverId null)',
        });
        continue;
      }
      if (record.syncStatus !== 'synced') {
        issues.push({
          collection: c.name,
          id: record.serverId,
          problem: `syncStatus is ${record.syncStatus}`,
        });
      }
      rows.set(
        record.serverId,
        Object.fromEntries(Object.entries(record).filter(([k]) => !META.has(k))),
      );
    }
    snapshot.set(c.name, rows);
  }
  return { snapshot, issues };
}

/**
 * Reads what the server holds for one user by pulling the whole feed from the start as a
 * dedicated observer client id (`clientId`), through the public protocol.
 */
export async function serverSnapshot(
  server: FetchHandler,
  collections: readonly CollectionDefinition[],
  headers: Record<string, string>,
  clientId: string,
): Promise<ReplicaSnapshot> {
  const snapshot: ReplicaSnapshot = new Map(collections.map((c) => [c.name, new Map()]));
  const versions = new Map<string, number>();
  let cursor: string | null = null;
  // Read at the versions of the definitions given (the server's own: its current version).
  const schemaVersions = Object.fromEntries(collections.map((c) => [c.name, c.version]));
  for (let page = 0; page < 100_000; page++) {
    const response = await server.fetch(
      new Request('http://tidesync.harness/sync/pull', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({
          protocol: PROTOCOL_VERSION,
          clientId,
          cursor,
          limit: 1000,
          schemaVersions,
        }),
      }),
    );
    const body: unknown = await response.json();
    const parsed = pullResponseSchema.safeParse(body);
    if (!parsed.success) {
      throw new Error(
        `The server answered the harness's pull with ${response.status}: ${JSON.stringify(body).slice(0, 300)}`,
      );
    }
    for (const change of parsed.data.changes) {
      const rows = snapshot.get(change.collection);
      if (!rows) continue;
      const key = `${change.collection}\u0000${change.id}`;
      if ((versions.get(key) ?? -1) > change.version) continue;
      versions.set(key, change.version);
      if (change.deleted) rows.delete(change.id);
      else rows.set(change.id, change.data);
    }
    cursor = parsed.data.cursor;
    if (!parsed.data.hasMore) return snapshot;
  }
  throw new Error('The server kept answering hasMore for 100,000 pages to the harness pull.');
}

/** Lines describing how `replica` differs from `expected` (empty when equal). */
export function diffSnapshots(
  label: string,
  replica: ReplicaSnapshot,
  expected: ReplicaSnapshot,
  maxLines = 40,
): string[] {
  const lines: string[] = [];
  for (const [collection, want] of expected) {
    const have = replica.get(collection) ?? new Map<string, RecordData>();
    for (const [id, data] of want) {
      const got = have.get(id);
      if (!got) {
        lines.push(`${label} ${collection}/${id}: missing (server has ${canonicalJson(data)})`);
        continue;
      }
      const fields = new Set([...Object.keys(data), ...Object.keys(got)]);
      for (const field of [...fields].sort()) {
        const a = canonicalJson(got[field]);
        const b = canonicalJson(data[field]);
        if (a !== b)
          lines.push(
            `${label} ${collection}/${id}.${field}: ${a ?? 'absent'} (replica) vs ${b ?? 'absent'} (server)`,
          );
      }
    }
    for (const [id, data] of have) {
      if (!want.has(id)) {
        lines.push(
          `${label} ${collection}/${id}: extra on the replica ${canonicalJson(data)} (absent or deleted on the server)`,
        );
      }
    }
  }
  if (lines.length > maxLines) {
    const more = lines.length - maxLines;
    lines.length = maxLines;
    lines.push(`... and ${more} more differences`);
  }
  return lines;
}
