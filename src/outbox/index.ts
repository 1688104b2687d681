export { OpCounter, SEQ_META_KEY } from './append.js';
export type { EnqueueResult, NewOp } from './append.js';
export { PUSH_SEQ_META_KEY } from './batch.js';
export type { BatchRequest } from './batch.js';
export { Outbox } from './outbox.js';
export type { OpOutcome, Rebase, SettledOp } from './settle.js';
export { DEFAULT_RETRY_POLICY, backoffDelayMs } from './backoff.js';
export type { RetryPolicy } from './backoff.js';
