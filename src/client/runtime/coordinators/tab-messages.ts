/**
 * The messages tabs exchange over the coordinator's BroadcastChannel: followers ask the leader
 * to sync, and any tab says which collections it changed in the shared database and when it
 * added or removed a sync set (the leader's live stream declares the sets).
 */

/** Marks tidesync's messages on the channel (and their version). */
export const MESSAGE_MARK = 'tidesync.coordinator.v1';

/** What tabs of one database tell each other. */
export type CoordinatorMessage =
  | { readonly mark: typeof MESSAGE_MARK; readonly from: string; readonly type: 'sync-request' }
  | { readonly mark: typeof MESSAGE_MARK; readonly from: string; readonly type: 'sets-change' }
  | {
      readonly mark: typeof MESSAGE_MARK;
      readonly from: string;
      readonly type: 'change';
      readonly collections: readonly string[];
    };

/** Reads a message from another tab; anything else on the channel is ignored. */
export function parseMessage(data: unknown): CoordinatorMessage | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const m = data as Record<string, unknown>;
  if (m['mark'] !== MESSAGE_MARK || typeof m['from'] !== 'string') return undefined;
  if (m['type'] === 'sync-request')
    return { mark: MESSAGE_MARK, from: m['from'], type: 'sync-request' };
  if (m['type'] === 'sets-change')
    return { mark: MESSAGE_MARK, from: m['from'], type: 'sets-change' };
  const collections = m['collections'];
  if (
    m['type'] === 'change' &&
    Array.isArray(collections) &&
    collections.every((c) => typeof c === 'string')
  ) {
    return { mark: MESSAGE_MARK, from: m['from'], type: 'change', collections };
  }
  return undefined;
}
