// Records asked for by server id (the protocol's `get`): the one reading of a get answer, shared
// by `fetchRemote()` and the set pull's held records.
import type { CollectionDefinition, WireRecord } from '../../core/index.js';
import { ProtocolError } from '../../core/index.js';
import type { RemoteRejectedEvent, RemoteSource } from './remote-validation.js';
import { screenRemoteRecords } from './remote-validation.js';
import { recordAtAppVersion } from './schema-versions.js';
import type { ServerApi } from './server-api.js';

/**
 * Asks the server for the records of `collection` with these server ids: those it holds and the
 * user may see, tombstones included, at the app's schema version, screened against the schema
 * (`rejected`: those that failed it, reported as from `source`).
 * @throws ProtocolError `PROTOCOL_ERROR` for an answer with a record that was not asked for
 */
export async function getRecords(
  server: ServerApi,
  collections: ReadonlyMap<string, CollectionDefinition>,
  collection: string,
  ids: readonly string[],
  source: RemoteSource,
  signal?: AbortSignal,
): Promise<{ valid: WireRecord[]; rejected: RemoteRejectedEvent[] }> {
  const answer = await server.get(collection, ids, signal);
  if (!answer.ok) throw server.refusalError('get', answer.refusal);
  const asked = new Set(ids);
  for (const record of answer.reply.records) {
    if (record.collection !== collection || !asked.has(record.id)) {
      throw new ProtocolError(
        `The server answered a get of \`${collection}\` with record \`${record.collection}/${record.id}\`, which was not asked for. Nothing was stored.`,
      );
    }
  }
  const records = answer.reply.records.map((r) => recordAtAppVersion(collections, r));
  return screenRemoteRecords(collections, records, source);
}
