// What a push answer is checked against before any row changes: the local records of the
// answered batch and the holders of the server ids it gives to new records (each read in one
// call per collection when the adapter offers the batch lookups), and the checks that refuse
// an answer naming another record or a server id another record already holds.
import type { OutboxOp, StorageTransaction, StoredRecord, WireRecord } from '../../core/index.js';
import { ProtocolError } from '../../core/index.js';
import { type FoundRecords, findInBatches } from './batch-lookup.js';
import type { AnsweredOp } from './push-answer.js';

/**
 * Reads the records of every op of the answered batch (by collection and local id) in one call
 * per collection, when the adapter offers the optional batch lookup
 * (`StorageTransaction.getRecords`); `undefined` when it does not (one `getRecord` per op
 * then). Nothing writes a record before every op is decided, so the answers are those one read
 * per op would give.
 */
export function batchRecords(
  tx: StorageTransaction,
  results: readonly AnsweredOp[],
): Promise<FoundRecords | undefined> {
  return findInBatches(
    tx,
    'getRecords',
    results.map(({ op }) => [op.collection, op.id]),
  );
}

/**
 * The local records that already hold the server ids the answer gives to records new here (by
 * collection and server id), in one call per collection (`getRecordsByServerIds`), for
 * {@link checkServerIdFree}; `undefined` when the adapter does not offer it.
 */
export function serverIdHolders(
  tx: StorageTransaction,
  results: readonly AnsweredOp[],
  known: FoundRecords,
): Promise<FoundRecords | undefined> {
  const keys: [string, string][] = [];
  for (const { op, result } of results) {
    if (result.status === 'rejected') continue;
    if (known.get(op.collection)?.get(op.id)?.serverId === null) {
      keys.push([op.collection, result.serverId]);
    }
  }
  return findInBatches(tx, 'getRecordsByServerIds', keys);
}

/**
 * Refuses an answer whose record is not the one the op and its server id name (another
 * collection, another id): storing it would write one record's data under another's name.
 * @throws ProtocolError `PROTOCOL_ERROR`: nothing of the batch is applied
 */
export function checkResultIdentity(op: OutboxOp, serverId: string, record: WireRecord): void {
  if (record.collection === op.collection && record.id === serverId) return;
  throw new ProtocolError(
    `The server answered op \`${op.opId}\` on \`${op.collection}/${op.id}\` with record \`${record.collection}/${record.id}\` under server id \`${serverId}\`. Nothing of the batch was applied; it will be re-sent.`,
  );
}

/**
 * Refuses a server id that would be a second name: a confirmed record given another server id,
 * or a new record mapped onto a server id another local record already holds (looked up in
 * `holders`, the batch's lookup, when there is one).
 * @throws ProtocolError `PROTOCOL_ERROR`: nothing of the batch is applied, nothing overwritten
 */
export async function checkServerIdFree(
  tx: StorageTransaction,
  local: StoredRecord,
  serverId: string,
  holders: FoundRecords | undefined,
): Promise<void> {
  const holder =
    local.serverId !== null
      ? local
      : holders
        ? holders.get(local.collection)?.get(serverId)
        : await tx.getRecordByServerId(local.collection, serverId);
  if (!holder || holder.id === local.id) return;
  throw new ProtocolError(
    `The server mapped \`${local.collection}/${local.id}\` onto server id \`${serverId}\`, which ${holder === local ? `differs from its server id \`${local.serverId}\`` : `local record \`${holder.id}\` already holds`}. Nothing of the batch was applied; the outbox is kept.`,
  );
}
