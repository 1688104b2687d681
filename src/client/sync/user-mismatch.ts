import { TidesyncError } from '../../core/index.js';

/**
 * The server refused this device's client id for the signed-in user: the storage holds another
 * user's data. Nothing is sent, nothing is dead-lettered: the outbox stays as it is, so the
 * right user can still sync it. The app should give each user their own storage
 * (`userStorageName()`), and end a session with `client.signOut()`.
 */
export function userMismatch(clientId: string, serverMessage: string): TidesyncError {
  return new TidesyncError(
    'USER_MISMATCH',
    `The server refused client \`${clientId}\` for the signed-in user (${serverMessage}). This storage belongs to another user: open one storage per user (for example a database named with userStorageName(prefix, userId)), create the client after sign-in and end the session with client.signOut(). Nothing was sent; the outbox is kept.`,
  );
}
