// Pulled records go out at the schema version of the client that asked: the server's version,
// or an older one reached through reverse migrations. A client on an older version that no
// reverse migration reaches is told to upgrade.
import type { GetResponse, PullRequest, PullResponse, WireRecord } from '../core/index.js';
import { canMigrate } from '../core/index.js';
import { RequestRefusedError } from './replies.js';
import type { ServerContext } from './server-context.js';
import { newerRecordRefusal, storedVersionOf } from './stored-version.js';
import { recordAtVersion } from './upcast-op.js';

/**
 * The schema version the client of `request` reads each collection at: the one it sent, else 1
 * for a client that sends none (an older build); a collection a newer client leaves out is
 * served at the server's version.
 * @throws RequestRefusedError 409 `upgrade_required` when the client is on an older version of a
 *   collection that no chain of reverse migrations (`down`) reaches.
 */
export function clientVersions(ctx: ServerContext, request: PullRequest): Map<string, number> {
  const sent = request.schemaVersions;
  const versions = new Map<string, number>();
  for (const collection of ctx.collections.values()) {
    let version = collection.version;
    if (!sent) version = 1;
    else if (Object.hasOwn(sent, collection.name)) version = sent[collection.name] ?? version;
    if (version < collection.version && !canMigrate(collection, collection.version, version)) {
      throw new RequestRefusedError(
        409,
        'upgrade_required',
        `Collection \`${collection.name}\` is at schema version ${collection.version} on the server and this app reads version ${version}, which the server cannot serve (no reverse migration). Update the app; its pushes are still accepted.`,
      );
    }
    versions.set(collection.name, Math.min(version, collection.version));
  }
  return versions;
}

/**
 * `record` tagged with the schema version its stored data is at.
 * @throws RequestRefusedError 409 `server_too_old` for a record of a newer deploy.
 */
function stamped(ctx: ServerContext, record: WireRecord): WireRecord {
  const collection = ctx.collections.get(record.collection);
  if (!collection) return record;
  const schemaVersion = storedVersionOf(collection, record.data);
  if (schemaVersion === undefined) throw newerRecordRefusal(collection, record.id);
  return { ...record, schemaVersion };
}

/**
 * Serves a pull at the client's schema versions: refuses a client that must upgrade before
 * `read` runs, then moves each record of the page to the client's version (records stored
 * before a deploy go up; newer ones go down where reverse migrations allow). The page's records
 * come tagged with their stored version (`pullAnswer`); a page already at the client's versions,
 * the common case, is answered as it is, with no copy of any record.
 * @throws RequestRefusedError 409 `upgrade_required`; see {@link clientVersions}.
 */
export async function pullAtClientVersions(
  ctx: ServerContext,
  request: PullRequest,
  read: (request: PullRequest) => Promise<PullResponse>,
): Promise<PullResponse> {
  const versions = clientVersions(ctx, request);
  const page = await read(request);
  let changes: WireRecord[] | undefined;
  for (let i = 0; i < page.changes.length; i++) {
    const change = page.changes[i] as WireRecord;
    // A record the answer did not tag (another `read`) is tagged on a copy.
    const record = change.schemaVersion === undefined ? stamped(ctx, change) : change;
    const version = versions.get(record.collection);
    const moved = version === undefined ? record : recordAtVersion(ctx, record, version);
    if (moved !== change) (changes ??= page.changes.slice())[i] = moved;
  }
  return changes === undefined ? page : { ...page, changes };
}

/** A get answer with each record tagged with the schema version its data is at. */
export async function getAtServerVersion(
  read: Promise<GetResponse>,
  ctx: ServerContext,
): Promise<GetResponse> {
  const answer = await read;
  return { ...answer, records: answer.records.map((record) => stamped(ctx, record)) };
}
