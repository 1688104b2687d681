import type {
  CollectionDefinition,
  OpResult,
  OutboxOp,
  WireOp,
  WireOpResult,
} from '../../core/index.js';
import { ProtocolError, leanRecord } from '../../core/index.js';
import { recordAtAppVersion } from './schema-versions.js';

/**
 * One op of a batch with the server's result, its record at the app's version. `rebuilt`: the
 * result was lean and its record was rebuilt from the op as sent (this device's own data, not
 * checked against the schema again).
 */
export interface AnsweredOp {
  readonly op: OutboxOp;
  readonly result: OpResult;
  readonly rebuilt: boolean;
}

/**
 * Pairs each op of `batch` (sent as `wire`, in the same order) with its result. A lean applied
 * result gets its record back from the op ({@link leanRecord}); other records are moved to the
 * app's schema version.
 * @throws ProtocolError `PROTOCOL_ERROR` when a result is missing, doubled or extra, or a lean
 * result lacks its metadata or answers an op it cannot stand for: nothing is applied
 */
export function matchResults(
  collections: ReadonlyMap<string, CollectionDefinition>,
  batch: readonly OutboxOp[],
  wire: readonly WireOp[],
  results: readonly WireOpResult[],
): AnsweredOp[] {
  const byId = new Map(results.map((r) => [r.opId, r]));
  if (byId.size !== results.length || results.length !== batch.length) {
    throw new ProtocolError(
      `The server answered ${results.length} results for a batch of ${batch.length} ops. Nothing was applied; the batch will be re-sent.`,
    );
  }
  return batch.map((op, index) => {
    const result = byId.get(op.opId);
    if (!result) {
      throw new ProtocolError(
        `The server's push response has no result for op \`${op.opId}\`. Nothing was applied; the batch will be re-sent.`,
      );
    }
    if (result.status === 'rejected') return { op, result, rebuilt: false };
    if (result.status === 'conflict') {
      const record = recordAtAppVersion(collections, result.record);
      return { op, result: { ...result, record }, rebuilt: false };
    }
    if (result.record) {
      const record = recordAtAppVersion(collections, result.record);
      return { op, result: { ...result, record }, rebuilt: false };
    }
    const sent = wire[index];
    const { hlc, fieldClocks, updatedAt } = result;
    if (
      !sent ||
      sent.opId !== op.opId ||
      result.merged ||
      hlc === undefined ||
      fieldClocks === undefined ||
      updatedAt === undefined ||
      (sent.type !== 'delete' && !sent.data)
    ) {
      throw new ProtocolError(
        `The server answered op \`${op.opId}\` as applied without its record, but not as a lean result (\`merged: false\` with \`hlc\`, \`fieldClocks\` and \`updatedAt\`, for an op that carries its data). Nothing was applied; the batch will be re-sent.`,
      );
    }
    const lean = { ...result, merged: false as const, hlc, fieldClocks, updatedAt };
    return { op, result: { ...result, record: leanRecord(sent, lean) }, rebuilt: true };
  });
}
