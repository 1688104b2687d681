import { TidesyncError, describeValue } from './errors.js';

/**
 * A storage name of one user: `prefix` and the user id, encoded so that any id is safe as an
 * IndexedDB name and as a file name (only `a-z`, `0-9`, `-` and `_`), and two ids never share a
 * name, also on case-insensitive file systems.
 * Open one storage per user with it, so users sharing a device never share records or outboxes.
 *
 * @throws TidesyncError `INVALID_OPTION` for an empty prefix or user id.
 * @example
 * indexedDbAdapter({ name: userStorageName('my-app', session.userId), encryptionKey });
 * new Database(`${dir}/${userStorageName('my-app', session.userId)}.db`); // SQLite
 */
export function userStorageName(prefix: string, userId: string): string {
  for (const [name, value] of [
    ['prefix', prefix],
    ['userId', userId],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0) {
      throw new TidesyncError(
        'INVALID_OPTION',
        `Expected \`${name}\` to be a non-empty string, got ${describeValue(value)}.`,
      );
    }
  }
  // Lowercase letters, digits and `-` as they are; every other UTF-8 byte as `_xx`. Injective,
  // and safe on case-insensitive file systems too (`A` and `a` get different names).
  let encoded = '';
  for (const byte of new TextEncoder().encode(userId)) {
    const c = String.fromCharCode(byte);
    encoded += /[a-z0-9-]/.test(c) ? c : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return `${prefix}--user-${encoded}`;
}
