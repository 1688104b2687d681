import type { OutboxOp, StoredRecord } from '../../core/index.js';
import { DELETED, type Staged } from '../staged.js';
import { noteConflictState } from './memory-conflicts.js';
import { recordKey, type MemoryState } from './memory-state.js';

/**
 * Applies one transaction's staged writes to `state`, keeping its indexes (server ids, ops by
 * record, conflicts) in step. Synchronous: nothing else sees the state half-applied.
 */
export function commitStaged(
  state: MemoryState,
  records: ReadonlyMap<string, ReadonlyMap<string, Staged<StoredRecord>>>,
  ops: ReadonlyMap<string, Staged<OutboxOp>>,
  meta: ReadonlyMap<string, Staged<unknown>>,
): void {
  for (const [collection, staged] of records) {
    let target = state.records.get(collection);
    if (!target) {
      target = new Map();
      state.records.set(collection, target);
    }
    let byServerId = state.serverIds.get(collection);
    if (!byServerId) {
      byServerId = new Map();
      state.serverIds.set(collection, byServerId);
    }
    for (const [id, value] of staged) {
      const previous = target.get(id);
      if (previous?.serverId != null && byServerId.get(previous.serverId) === id) {
        byServerId.delete(previous.serverId);
      }
      if (value === DELETED) {
        target.delete(id);
      } else {
        target.set(id, value);
        if (value.serverId !== null && value.serverId !== id) byServerId.set(value.serverId, id);
      }
      noteConflictState(state.conflicted, collection, id, value === DELETED ? undefined : value);
    }
    if (target.size === 0) {
      state.records.delete(collection);
      state.serverIds.delete(collection);
    }
  }
  for (const [opId, value] of ops) {
    const previous = state.ops.get(opId);
    if (previous) {
      const key = recordKey(previous.collection, previous.id);
      state.opsByRecord.get(key)?.delete(opId);
      if (state.opsByRecord.get(key)?.size === 0) state.opsByRecord.delete(key);
    }
    if (value === DELETED) {
      state.ops.delete(opId);
      continue;
    }
    if (!previous) {
      if (value.seq < state.lastSeq) state.opsSorted = false;
      state.lastSeq = Math.max(state.lastSeq, value.seq);
    } else if (previous.seq !== value.seq) {
      state.opsSorted = false;
    }
    state.ops.set(opId, value);
    const key = recordKey(value.collection, value.id);
    let set = state.opsByRecord.get(key);
    if (!set) {
      set = new Set();
      state.opsByRecord.set(key, set);
    }
    set.add(opId);
  }
  if (state.ops.size === 0) {
    state.opsSorted = true;
    state.lastSeq = 0;
  }
  for (const [key, value] of meta) {
    if (value === DELETED) state.meta.delete(key);
    else state.meta.set(key, value);
  }
}
