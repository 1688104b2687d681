import { customAlphabet } from 'nanoid';

// The 64 url-safe characters in ASCII order, so that ids compare (as strings, and as SQLite
// BINARY or Postgres "C" text) in the order of their time prefix.
const SORTED_ALPHABET = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const TIME_CHARS = 7; // 42 bits of milliseconds: until the year 2109
const randomPart = customAlphabet(SORTED_ALPHABET, 14); // 84 random bits

let lastMs = 0;

// The prefix last made: ids are made in bursts within one millisecond.
let prefixMs = -1;
let prefix = '';

/** The first {@link TIME_CHARS} characters of an id made at `ms`. */
function timePrefix(ms: number): string {
  if (ms === prefixMs) return prefix;
  prefix = encodeTime(ms);
  prefixMs = ms;
  return prefix;
}

function encodeTime(ms: number): string {
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
  if (source) return source.id();
  lastMs = Math.max(lastMs, Date.now());
  return timePrefix(lastMs) + randomPart();
}

const NODE_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const nodeAlphabet = customAlphabet(NODE_ALPHABET, 12);

/** Creates a client (node) id, used in clocks and on the wire. */
export function createClientId(): string {
  return source ? source.clientId() : nodeAlphabet();
}

/** Where {@link createId} and {@link createClientId} take ids from instead (a seeded source). */
export interface IdSource {
  id(): string;
  clientId(): string;
}

let source: IdSource | undefined;

/**
 * Makes every id of this process come from `next` (`undefined`: the default again) and returns
 * the source it replaced. For the testing harness, so a seeded run replays with the same ids.
 */
export function swapIdSource(next: IdSource | undefined): IdSource | undefined {
  const previous = source;
  source = next;
  return previous;
}

/**
 * An {@link IdSource} of the same shapes as the default ones, from `random` (floats in [0, 1))
 * and `nowMs` (the time prefix, never going back): the same inputs give the same ids.
 */
export function idSourceFrom(random: () => number, nowMs: () => number): IdSource {
  let last = 0;
  const pick = (alphabet: string, length: number): string => {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
    return out;
  };
  return {
    id() {
      last = Math.max(last, nowMs());
      return timePrefix(last) + pick(SORTED_ALPHABET, 14);
    },
    clientId: () => pick(NODE_ALPHABET, 12),
  };
}
