export { webLocksCoordinator } from './web-locks-coordinator.js';
export type {
  BroadcastChannelConstructor,
  BroadcastChannelLike,
  ChannelMessageEvent,
  LockManagerLike,
  WebLocksCoordinatorOptions,
} from './web-locks-coordinator.js';
