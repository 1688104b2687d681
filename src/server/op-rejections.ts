// The `rejected` outcomes an op can get from the server, with messages that say what to do.
import type { CollectionDefinition, OpResult, WireOp } from '../core/index.js';
import type { ServerRecord } from './server-store.js';

/** A `rejected` op outcome. */
export type Rejection = Extract<OpResult, { status: 'rejected' }>;

/** A `rejected` outcome of `op` with this code and message. */
export const reject = (op: WireOp, code: string, message: string): Rejection => ({
  opId: op.opId,
  status: 'rejected',
  code,
  message,
});

/** `forbidden`: the record is (or would move) outside the user's scope. */
export function forbidden(op: WireOp, collection: CollectionDefinition): Rejection {
  return reject(
    op,
    'forbidden',
    `Record \`${op.serverId ?? op.id}\` of \`${collection.name}\` is outside your scope.`,
  );
}

/** `not_found`: the server has no such record. */
export function notFound(op: WireOp, collection: CollectionDefinition): Rejection {
  return reject(
    op,
    'not_found',
    `No record \`${op.serverId ?? op.id}\` in \`${collection.name}\`. It may never have reached the server.`,
  );
}

/** `record_too_large`: the record after this op would pass `maxRecordBytes`. */
export function tooLarge(
  op: WireOp,
  record: ServerRecord,
  bytes: number,
  maxRecordBytes: number,
): Rejection {
  return reject(
    op,
    'record_too_large',
    `Record \`${record.id}\` of \`${record.collection}\` would take ${bytes} bytes; the server's limit is ${maxRecordBytes} (maxRecordBytes). Store less in one record.`,
  );
}
