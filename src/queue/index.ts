export { PUSH_SEQ_META_KEY, SEQ_META_KEY, enqueueOp, renumberAfter, takeBatch } from './outbox.js';
export type { EnqueueResult, NewOp } from './outbox.js';
