export {
  OpCounter,
  PUSH_SEQ_META_KEY,
  SEQ_META_KEY,
  enqueueOp,
  newOp,
  renumberAfter,
  takeBatch,
} from './append.js';
export type { EnqueueResult, NewOp } from './append.js';
export { DEFAULT_RETRY_POLICY, backoffDelayMs } from './backoff.js';
export type { RetryPolicy } from './backoff.js';
