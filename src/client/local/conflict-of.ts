import type { z } from '../../core/schema-types.js';
import type { CollectionDefinition } from '../../core/index.js';
import type { ConflictRecord } from './conflicts.js';
import type { ConflictEvent } from '../events.js';

/**
 * True when a conflict (an entry of `client.conflicts()` or a `conflict` event) belongs to the
 * collection `definition`; narrows its `local` (and, for an entry, `remote`) to the record type.
 *
 * @example
 * client.on('conflict', (event) => {
 *   if (isConflictOf(todos, event)) showTodoConflict(event.local?.title);
 * });
 */
export function isConflictOf<S extends z.ZodObject>(
  definition: CollectionDefinition<S>,
  conflict: ConflictRecord,
): conflict is ConflictRecord<z.infer<S>>;
export function isConflictOf<S extends z.ZodObject>(
  definition: CollectionDefinition<S>,
  conflict: ConflictEvent,
): conflict is ConflictEvent & { readonly local: z.infer<S> | null };
export function isConflictOf(
  definition: CollectionDefinition,
  conflict: ConflictRecord | ConflictEvent,
): boolean {
  return conflict.collection === definition.name;
}
