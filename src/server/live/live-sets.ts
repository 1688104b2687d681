// The sync sets a live stream declared (docs/protocol.md, Live): a stream with sets is poked for
// a change of a `sync: 'sets'` collection only when the record matched one of them before or
// after the change.
import { z } from 'zod';
import type { CollectionDefinition, SyncSetSpec, SyncUser } from '../../core/index.js';
import { describeValue, matchesSyncSet, syncSetSpecSchema } from '../../core/index.js';
import { RequestRefusedError, describeIssues } from '../replies.js';
import { isInScope } from '../server-context.js';
import type { ServerRecord, ServerStoreReader } from '../server-store.js';
import { indexQueryOf } from '../sets/set-pull-handler.js';
import type { SetChange } from './committed-change.js';

/** Sets one live stream may declare; a device with more leaves `sets` out (poked for all). */
export const MAX_LIVE_SETS = 256;

const liveSetsSchema = z.array(syncSetSpecSchema).max(MAX_LIVE_SETS);

/**
 * The `sets` field of a live request body, checked against the server's collections: absent
 * gives `undefined` (the stream is poked for every change in scope), else the declared sets.
 * @throws RequestRefusedError 400 `bad_request` for a malformed list, a collection without
 * `sync: 'sets'` or a field that is not one of its indexes.
 */
export function liveSetsOf(
  value: unknown,
  collections: ReadonlyMap<string, CollectionDefinition>,
): readonly SyncSetSpec[] | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed = liveSetsSchema.safeParse(value);
  if (!parsed.success) {
    throw new RequestRefusedError(400, 'bad_request', describeIssues(parsed.error, 'sets'));
  }
  for (const [index, spec] of parsed.data.entries()) {
    const collection = collections.get(spec.collection);
    if (!collection || collection.sync !== 'sets') {
      throw new RequestRefusedError(
        400,
        'bad_request',
        `sets[${index}].collection: ${describeValue(spec.collection)} is not a collection with \`sync: 'sets'\` on the server.`,
      );
    }
    for (const field of Object.keys(spec.where)) {
      if (!collection.indexes.includes(field)) {
        throw new RequestRefusedError(
          400,
          'bad_request',
          `sets[${index}].where.${field}: \`${field}\` is not an index of \`${collection.name}\`. Declare only the device's sync sets.`,
        );
      }
    }
  }
  return parsed.data;
}

/**
 * Whether a set-collection change concerns a stream: always without declared sets, else when
 * the record's indexed values before or after the change match one of the stream's sets of
 * that collection (so entering, changing inside and leaving a set all poke). A change with no
 * values on either side pokes too.
 */
export function setsCoverChange(
  sets: readonly SyncSetSpec[] | undefined,
  change: SetChange,
): boolean {
  // No state at all: created and deleted in one push, or sent without its values (too long).
  if (sets === undefined || (change.before === null && change.after === null)) return true;
  return sets.some(
    (set) =>
      set.collection === change.collection &&
      ((change.before !== null && matchesSyncSet(change.before, set.where)) ||
        (change.after !== null && matchesSyncSet(change.after, set.where))),
  );
}

/**
 * The heartbeat's check of a feed entry for one stream, given the record's states its user may
 * see: in scope is enough without declared sets or outside a set collection; else a state must
 * match one of the stream's sets. The state before a move out of a set is not kept in a
 * collection without a scope function: {@link leftSetSince} finds those moves.
 */
export function statesCoverEntry(
  sets: readonly SyncSetSpec[] | undefined,
  isSetCollection: boolean,
  visibleStates: readonly ServerRecord[],
): boolean {
  if (visibleStates.length === 0) return false;
  if (sets === undefined || !isSetCollection) return true;
  return visibleStates.some((record) =>
    sets.some(
      (set) => set.collection === record.collection && matchesSyncSet(record.data, set.where),
    ),
  );
}

/**
 * Whether `user` may see a set-collection change: its owner, or in a collection with a scope
 * function, one of the record's states before or after (`records`) passes the scope rule.
 */
export function setChangeVisible(
  collections: ReadonlyMap<string, CollectionDefinition>,
  change: SetChange,
  records: readonly ServerRecord[],
  user: SyncUser,
): boolean {
  const collection = collections.get(change.collection);
  if (!collection?.scope) return change.ownerId === user.userId;
  return records.some(
    (r) =>
      r.collection === change.collection && r.id === change.id && isInScope(collection, r, user),
  );
}

/**
 * Whether a record of `user` left one of `sets` after feed position `after`, in a `sync: 'sets'`
 * collection without a scope function (which keeps no state before a change, so the
 * heartbeat's check of states cannot see the move): the set index keeps the old value's row,
 * bumped to the change's position. Used by the heartbeat's check for lost notices.
 */
export async function leftSetSince(
  reader: ServerStoreReader,
  collections: ReadonlyMap<string, CollectionDefinition>,
  sets: readonly SyncSetSpec[],
  user: SyncUser,
  after: number,
): Promise<boolean> {
  if (typeof reader.countSetChanges !== 'function') return false;
  for (const set of sets) {
    const collection = collections.get(set.collection);
    if (collection?.sync !== 'sets' || collection.scope) continue;
    if ((await reader.countSetChanges(indexQueryOf(collection, set, user, after))) > 0) return true;
  }
  return false;
}
