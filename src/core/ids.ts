import { customAlphabet, nanoid } from 'nanoid';

/** Creates a new random record or operation id (21 url-safe characters). */
export function createId(): string {
  return nanoid();
}

const nodeAlphabet = customAlphabet(
  '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  12,
);

/** Creates a client (node) id, used in clocks and on the wire. */
export function createClientId(): string {
  return nodeAlphabet();
}
