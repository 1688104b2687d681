export { useConflicts } from './use-conflicts.js';
export { useLiveQuery, useLiveQueryState } from './use-live-query.js';
export type { LiveQueryState, LiveQueryStatus } from './live-query-store.js';
export { useSyncStatus } from './use-sync-status.js';
