import { customAlphabet } from 'nanoid';

// The 64 url-safe characters in ASCII order, so that ids compare (as strings, and as SQLite
// BINARY or Postgres "C" text) in the order of their time prefix.
const SORTED_ALPHABET = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const TIME_CHARS = 7; // 42 bits of milliseconds: until the year 2109
const randomPart = customAlphabet(SORTED_ALPHABET, 14); // 84 random bits

let lastMs = 0;

/** The first {@link TIME_CHARS} characters of an id made at `ms`. */
function timePrefix(ms: number): string {
  let out = '';
  for (let i = 0, rest = ms; i < TIME_CHARS; i++, rest = Math.floor(rest / 64)) {
    out = SORTED_ALPHABET[rest % 64]! + out;
  }
  return out;
}

/**
 * Creates a new record or operation id: 21 url-safe characters, a millisecond time prefix
 * followed by 84 random bits. Ids made later sort after earlier ones (the prefix never goes
 * back within a process, even when the wall clock does), so databases insert them near each
 * other instead of at random places in their indexes, which keeps writes cheap as tables grow.
 */
export function createId(): string {
  lastMs = Math.max(lastMs, Date.now());
  return timePrefix(lastMs) + randomPart();
}

const nodeAlphabet = customAlphabet(
  '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  12,
);

/** Creates a client (node) id, used in clocks and on the wire. */
export function createClientId(): string {
  return nodeAlphabet();
}
