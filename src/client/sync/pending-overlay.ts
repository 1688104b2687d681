import type { OutboxOp, RecordData, StoredRecord, WireRecord } from '../../core/index.js';

/**
 * Combines a server version with this device's unsent changes: fields that pending ops change
 * keep their local values (and clocks); every other field takes the server's. With no pending
 * ops this is the server version itself.
 */
export function overlayPending(
  local: StoredRecord | undefined,
  remote: WireRecord,
  pending: readonly OutboxOp[],
  localId: string,
  now: number,
): StoredRecord {
  const base: StoredRecord = {
    collection: remote.collection,
    id: localId,
    serverId: remote.id,
    data: remote.data,
    version: remote.version,
    hlc: remote.hlc,
    fieldClocks: remote.fieldClocks,
    updatedAt: remote.updatedAt,
    accessedAt: local?.accessedAt ?? now,
    syncStatus: 'synced',
    deleted: remote.deleted,
    conflict: null,
  };
  if (!local || pending.length === 0) return base;
  const fields = new Set(pending.flatMap((op) => op.changedFields));
  const deletedLocally = pending.some((op) => op.type === 'delete');
  const data: RecordData = remote.deleted ? { ...local.data } : { ...remote.data };
  const fieldClocks = { ...remote.fieldClocks };
  for (const field of fields) {
    if (Object.hasOwn(local.data, field)) data[field] = local.data[field];
    const clock = local.fieldClocks[field];
    if (clock !== undefined) fieldClocks[field] = clock;
  }
  return {
    ...base,
    data,
    fieldClocks,
    hlc: local.hlc > remote.hlc ? local.hlc : remote.hlc,
    deleted: deletedLocally || (remote.deleted && fields.size === 0),
    syncStatus: local.syncStatus === 'conflicted' ? 'conflicted' : 'pending',
    conflict: local.conflict,
    updatedAt: Math.max(local.updatedAt, remote.updatedAt),
  };
}
