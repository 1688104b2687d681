import type { RecordData } from '../../core/index.js';
import type { ServerRecord, ServerStore } from '../server-store.js';
import type { ChangeNotice } from './committed-change.js';

/**
 * The states of the records a notice names that decide who is poked: for a notice of this
 * process, the states before and after the change it carries; for a notice of another instance,
 * each record's current state read from the store plus its former states back to the one
 * before the notice's change (the store keeps them for scope exits, see
 * `ServerRecord.formerData`). So a device that loses sight of a record is poked by every
 * instance, not only the one that committed the change, and its pull then removes the record.
 */
export async function scopedStates(
  store: ServerStore,
  notice: ChangeNotice,
): Promise<readonly ServerRecord[]> {
  if (notice.scopedRecords) return notice.scopedRecords;
  return store.read(async (reader) => {
    const found: ServerRecord[] = [];
    for (const { collection, id, version } of notice.scoped) {
      const record = await reader.getRecord(collection, id);
      if (!record) continue;
      found.push(record);
      // Each change since (and including) the notice's added at most one former state, newest
      // first; without a version (an older instance), every kept state counts.
      const count = version === undefined ? undefined : record.version - version + 1;
      for (const data of (record.formerData ?? []).slice(0, count)) {
        found.push(formerState(record, data));
      }
    }
    return found;
  });
}

/** Every state of `record` a user may have seen: the current one and the kept former ones. */
export function knownStates(record: ServerRecord): readonly ServerRecord[] {
  const former = record.formerData ?? [];
  return former.length === 0 ? [record] : [record, ...former.map((d) => formerState(record, d))];
}

function formerState(record: ServerRecord, data: RecordData): ServerRecord {
  return { ...record, data, formerData: undefined };
}
