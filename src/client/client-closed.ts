import { TidesyncError } from '../core/index.js';

/** The error of a call on a closed client: `CLIENT_CLOSED`. */
export function clientClosedError(): TidesyncError {
  return new TidesyncError(
    'CLIENT_CLOSED',
    'This sync client is closed. Create a new one with `createSyncClient()`.',
  );
}
