export { useLiveQuery } from './use-live-query.js';
export { useSyncStatus } from './use-sync-status.js';
