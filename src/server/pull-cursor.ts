// The pull cursor: an authenticated, encrypted token of the feed position a client has read
// up to. A client learns nothing from it (not the global change count, not the store's epoch),
// and a forged or foreign one fails its tag and starts the client over.
import { hmacSha256With } from './hmac-sha256.js';
import type { ServerRecord, ServerStoreReader } from './server-store.js';

/** A decoded pull cursor. */
export interface PullCursor {
  readonly position: number;
  /** Fingerprint of the feed entry at `position` when the cursor was issued (0: none). */
  readonly fingerprint: number;
}

const VERSION = 2;
const NONCE_BYTES = 12;
const PAYLOAD_BYTES = 12; // position (8, big-endian) + fingerprint (4)
const TAG_BYTES = 16;
const TOTAL_BYTES = 1 + NONCE_BYTES + PAYLOAD_BYTES + TAG_BYTES;

type Mac = (message: Uint8Array) => Uint8Array;

// Keys in use, each with its key schedule made once (a server has one store, a test a few).
const macs = new Map<string, Mac>();
const MAX_KEYS = 16;

/**
 * The HMAC-SHA-256 of a store's cursors, keyed by its epoch (a random id that never leaves the
 * server now; cursors of earlier releases carried it in clear) and the server's
 * `cursorSecret`, if any.
 */
function keyOf(epoch: string, secret: string): Mac {
  const text = `tidesync-cursor\u0000${epoch}\u0000${secret}`;
  let mac = macs.get(text);
  if (!mac) {
    mac = hmacSha256With(new TextEncoder().encode(text));
    if (macs.size >= MAX_KEYS) macs.delete(macs.keys().next().value!);
    macs.set(text, mac);
  }
  return mac;
}

function mac(key: Mac, label: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((sum, part) => sum + part.length, 1);
  const input = new Uint8Array(length);
  input[0] = label;
  let at = 1;
  for (const part of parts) {
    input.set(part, at);
    at += part.length;
  }
  return key(input);
}

/**
 * Encodes a pull cursor for the store with this epoch: the position and fingerprint,
 * encrypted (HMAC-SHA-256 keystream over a synthetic nonce) and authenticated (truncated HMAC).
 * Deterministic: equal cursors mean the same feed place, and nothing else can be read off.
 */
export function encodeCursor(
  epoch: string,
  secret: string,
  position: number,
  fingerprint = 0,
): string {
  const key = keyOf(epoch, secret);
  const payload = new Uint8Array(PAYLOAD_BYTES);
  const view = new DataView(payload.buffer);
  view.setUint32(0, Math.floor(position / 2 ** 32));
  view.setUint32(4, position >>> 0);
  view.setUint32(8, fingerprint >>> 0);
  // A synthetic nonce (a MAC of the payload): the same place gives the same cursor, so a client
  // can tell a cursor that does not move (SYNC_STUCK) and store exactly the server's cursor.
  const nonce = mac(key, 3, payload).subarray(0, NONCE_BYTES);
  const stream = mac(key, 1, nonce);
  for (let i = 0; i < PAYLOAD_BYTES; i++) payload[i]! ^= stream[i]!;
  const tag = mac(key, 2, nonce, payload).subarray(0, TAG_BYTES);
  const bytes = new Uint8Array(TOTAL_BYTES);
  bytes[0] = VERSION;
  bytes.set(nonce, 1);
  bytes.set(payload, 1 + NONCE_BYTES);
  bytes.set(tag, 1 + NONCE_BYTES + PAYLOAD_BYTES);
  return toBase64Url(bytes);
}

/**
 * Decodes a cursor issued for the store with this epoch, or `undefined` for anything else:
 * garbage, a forged or altered cursor, one of another store, or one of an older release.
 */
export function decodeCursor(
  cursor: string,
  epoch: string,
  secret: string,
): PullCursor | undefined {
  const bytes = fromBase64Url(cursor);
  if (!bytes || bytes.length !== TOTAL_BYTES || bytes[0] !== VERSION) return undefined;
  const key = keyOf(epoch, secret);
  const nonce = bytes.subarray(1, 1 + NONCE_BYTES);
  const sealed = bytes.subarray(1 + NONCE_BYTES, 1 + NONCE_BYTES + PAYLOAD_BYTES);
  const tag = bytes.subarray(1 + NONCE_BYTES + PAYLOAD_BYTES);
  const expected = mac(key, 2, nonce, sealed);
  let difference = 0;
  for (let i = 0; i < TAG_BYTES; i++) difference |= tag[i]! ^ expected[i]!;
  if (difference !== 0) return undefined;
  const stream = mac(key, 1, nonce);
  const payload = sealed.map((byte, i) => byte ^ stream[i]!);
  const view = new DataView(payload.buffer);
  const position = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
  if (!Number.isSafeInteger(position)) return undefined;
  return { position, fingerprint: view.getUint32(8) };
}

/**
 * Whether `cursor` is a clear-text cursor of an earlier release (`{ e, p, f }`) for the store
 * with this epoch. Its position is not trusted (it could be forged to probe the feed): the pull
 * starts from the beginning without `reset`, which costs a full pull once and reveals nothing.
 */
export function isLegacyCursor(cursor: string, epoch: string): boolean {
  const bytes = fromBase64Url(cursor.replace(/=+$/, ''));
  if (!bytes || bytes.length > 1024) return false;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Object.hasOwn(value, 'e') &&
      (value as { e?: unknown }).e === epoch
    );
  } catch {
    return false;
  }
}

/** FNV-1a of the entry's identity and version: reveals nothing of its data. */
export function fingerprintOf(record: ServerRecord): number {
  // The hash of `${collection}\u0000${id}\u0000${version}`, without building that text.
  let hash = fnv1a(0x811c9dc5, record.collection);
  hash = Math.imul(hash, 0x01000193) >>> 0; // the \u0000 (XOR 0 leaves the hash as it is)
  hash = fnv1a(hash, record.id);
  hash = Math.imul(hash, 0x01000193) >>> 0;
  return fnv1a(hash, String(record.version));
}

function fnv1a(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Whether a decoded cursor still belongs to this store's history. */
export async function isCursorValid(
  reader: ServerStoreReader,
  cursor: PullCursor,
  head: number,
): Promise<boolean> {
  if (cursor.position > head) return false;
  if (cursor.fingerprint === 0 || cursor.position === 0) return true;
  // The entry the cursor points at is either still there (same change) or has moved on to a
  // later position (its record changed again). A different change at that position means the
  // feed was rebuilt from an older copy: the cursor is from a history this store lost.
  const [entry] = await reader.listChanges(cursor.position - 1, 1);
  return entry?.position !== cursor.position || fingerprintOf(entry.record) === cursor.fingerprint;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) out += ALPHABET[(n >> (18 - 6 * c)) & 63];
  }
  return out;
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const char of text) {
    value = (value << 6) | ALPHABET.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return out;
}
