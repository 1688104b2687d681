import type { OutboxOp, StoredRecord } from '../../core/index.js';
import type { ConflictIndex } from './memory-conflicts.js';

/** Everything one `MemoryStore` holds: records, the outbox, metadata and their indexes. */
export interface MemoryState {
  records: Map<string, Map<string, StoredRecord>>;
  /**
   * collection -> serverId -> local id, for getRecordByServerId without a scan. Only records
   * whose server id differs from their local id: the others (every pulled record) are found by
   * their id, which saves an index entry per record.
   */
  serverIds: Map<string, Map<string, string>>;
  /** collection -> ids of conflicted records (memory-conflicts.ts). */
  conflicted: ConflictIndex;
  /** Ops in insertion order; `opsSorted` says whether that is also ascending `seq`. */
  ops: Map<string, OutboxOp>;
  opsSorted: boolean;
  lastSeq: number;
  /** `collection \u0000 record id` -> op ids, for per-record lookups without a scan. */
  opsByRecord: Map<string, Set<string>>;
  meta: Map<string, unknown>;
}

export const recordKey = (collection: string, id: string): string => `${collection}\u0000${id}`;
