export { foregroundTrigger } from './foreground-trigger.js';
export type { AppStateSource } from './foreground-trigger.js';
export { intervalTrigger } from './interval-trigger.js';
export { liveTrigger } from './live-trigger.js';
export type { LiveTriggerOptions } from './live-trigger.js';
export { onlineTrigger } from './online-trigger.js';
export type { ConnectivitySource } from './online-trigger.js';
export { writeTrigger } from './write-trigger.js';
