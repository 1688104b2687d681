import { useEffect, useState } from 'react';
import type * as z from 'zod/mini';
import type { ConflictRecord, SyncClient } from '../index.js';
import type { CollectionDefinition } from '../index.js';

/**
 * The client's conflict inbox, live: the records in `conflicted` state with both versions,
 * re-read whenever a conflict appears, is resolved, or the data changes. With a collection
 * definition, only that collection's conflicts, typed from its schema. `undefined` until the
 * first read; on the server (SSR) too.
 *
 * @example
 * function Inbox({ client }: { client: SyncClient }) {
 *   const conflicts = useConflicts(client, todos);
 *   if (!conflicts?.length) return null;
 *   return conflicts.map((c) => (
 *     <button key={c.id} onClick={() => void client.resolveConflict(todos, c.id, { keep: 'local' })}>
 *       keep “{c.local?.title}”
 *     </button>
 *   ));
 * }
 */
export function useConflicts<S extends z.core.$ZodObject>(
  client: SyncClient,
  definition: CollectionDefinition<S>,
): readonly ConflictRecord<z.infer<S>>[] | undefined;
export function useConflicts(client: SyncClient): readonly ConflictRecord[] | undefined;
export function useConflicts(
  client: SyncClient,
  definition?: CollectionDefinition,
): readonly ConflictRecord[] | undefined {
  const [conflicts, setConflicts] = useState<readonly ConflictRecord[] | undefined>(undefined);
  useEffect(() => {
    let active = true;
    let running = false;
    let again = false;
    // Reads never overlap, and a change during a read causes exactly one more: the last
    // state shown is read after the last change.
    const load = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          const next = definition ? await client.conflicts(definition) : await client.conflicts();
          if (active) setConflicts(next);
        } while (again && active);
      } catch {
        // A closed client has no inbox; the status or change that follows a reopen reads again.
      } finally {
        running = false;
      }
    };
    void load();
    const stops = [
      client.on('conflict', () => void load()),
      client.on('change', () => void load()),
      client.on('status', () => void load()),
    ];
    return () => {
      active = false;
      for (const stop of stops) stop();
    };
  }, [client, definition]);
  return conflicts;
}
