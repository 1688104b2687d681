export { custom } from './custom.js';
export type { CustomResolution, CustomResolver } from './custom.js';
export { fieldMerge } from './field-merge.js';
export { lastWriteWins, mergeFieldClocks } from './last-write-wins.js';
export { manual } from './manual.js';
