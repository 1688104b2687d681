import type { SyncClient } from '../client/index.js';
import type { CollectionDefinition } from '../core/index.js';
import type { FetchHandler } from '../transport/index.js';
import { ConvergenceError } from './harness-errors.js';
import {
  clientSnapshot,
  diffSnapshots,
  serverSnapshot,
  snapshotDigest,
} from './replica-snapshot.js';
import { explainSetDiff, narrowToSets } from './set-coverage.js';

/** What {@link assertReplicasConverged} compares: the server's view per user and each client. */
export interface ConvergenceInput {
  readonly server: FetchHandler;
  /** The collections the server runs. */
  readonly serverCollections: readonly CollectionDefinition[];
  /** The collections the clients hold. */
  readonly collections: readonly CollectionDefinition[];
  readonly clients: readonly SyncClient[];
  /** The user of each client, by index. */
  readonly users: readonly string[];
  /** The request header that names the user to the harness's `authorize`. */
  readonly userHeader: string;
  /** The harness seed, quoted in the error. */
  readonly seed: number;
}

/**
 * Checks that every client holds what the server shows its user (narrowed to the client's own
 * sets in `sync: 'sets'` collections). Returns each user's snapshot digest.
 * @throws ConvergenceError listing every difference.
 */
export async function assertReplicasConverged(
  input: ConvergenceInput,
): Promise<Map<string, string>> {
  const { server, collections, clients, users, userHeader } = input;
  const digests = new Map<string, string>();
  const lines: string[] = [];
  for (const user of new Set(users)) {
    const expected = await serverSnapshot(
      server,
      input.serverCollections,
      { [userHeader]: user },
      `harness-observer-${[...new Set(users)].indexOf(user)}`,
    );
    digests.set(user, snapshotDigest(expected));
    for (const [i, client] of clients.entries()) {
      if (users[i] !== user) continue;
      const { snapshot, issues } = await clientSnapshot(client, collections);
      for (const issue of issues)
        lines.push(`client ${i} ${issue.collection}/${issue.id}: ${issue.problem}`);
      // Sync-set collections: what this client's own sets cover (docs/sync-sets.md).
      const source = {
        server,
        headers: { [userHeader]: user },
        clientId: `harness-observer-${[...new Set(users)].indexOf(user)}`,
      };
      const wanted = await narrowToSets(source, client, collections, expected);
      const label = `client ${i}`;
      const setCollections = new Set(
        collections.filter((c) => c.sync === 'sets').map((c) => c.name),
      );
      for (const line of diffSnapshots(label, snapshot, wanted)) {
        lines.push(explainSetDiff(line, label, setCollections));
      }
    }
  }
  if (lines.length > 0) {
    throw new ConvergenceError(
      `Replicas differ from the server (seed ${input.seed}):\n  ${lines.join('\n  ')}`,
      lines,
    );
  }
  return digests;
}
