// One pull page, bounded in records and in bytes: it always makes progress (at least one
// entry), and an entry too large for the client's budget goes as a small placeholder.
import type { RemovedRecord, SkippedRecord, WireRecord } from '../core/index.js';

/** What the client's answer needs besides the records: the envelope, cursor, and so on. */
const ENVELOPE_BYTES = 1024;
/** A placeholder on the wire, at most (ids are at most 128 characters). */
const PLACEHOLDER_BYTES = 400;

// Anything beyond ASCII: where a text needs more than one UTF-8 byte per character.
const NON_ASCII = /[\u0080-\uffff]/;

/** UTF-8 length of `text`, without encoding it. */
export function utf8Length(text: string): number {
  // Most records are ASCII: one native scan answers, the per-character count is for the rest.
  const first = text.search(NON_ASCII);
  if (first === -1) return text.length;
  let bytes = first;
  for (let i = first; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** The bytes a value takes as JSON (UTF-8). */
export function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value));
}

/**
 * Room kept for the `schemaVersion` tag the answer adds to each change after the page is
 * sized (`pullAnswer`): `,"schemaVersion":` and the most digits a version can have (16).
 */
export const SCHEMA_VERSION_BYTES = ',"schemaVersion":'.length + 16;

// Text JSON writes as itself between two quotes: printable ASCII but `"` and `\`.
const PLAIN_JSON_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** UTF-8 bytes of `text` as a JSON string, quotes included. */
function stringBytes(text: string): number {
  return PLAIN_JSON_TEXT.test(text) ? text.length + 2 : jsonBytes(text);
}

// `"key":` of each field a wire record has, measured once.
const KEY_BYTES = new Map<string, number>();

function keyBytes(key: string): number {
  let bytes = KEY_BYTES.get(key);
  if (bytes === undefined) {
    bytes = stringBytes(key) + 1;
    if (KEY_BYTES.size < 64) KEY_BYTES.set(key, bytes);
  }
  return bytes;
}

/**
 * {@link jsonBytes} of `record`, field by field, without serialising it: its `data` and
 * `fieldClocks` count `dataAndClocksBytes` when given (the stored JSON, see
 * `FeedEntry.jsonBytes`), the ids, clocks and counts their own JSON lengths. Plus
 * {@link SCHEMA_VERSION_BYTES} when it has no `schemaVersion` yet.
 */
export function wireBytes(record: WireRecord, dataAndClocksBytes?: number): number {
  let bytes = 1; // `{`, and each field's `,` or the closing `}` below
  for (const key in record) {
    const value = (record as Record<string, unknown>)[key];
    let valueBytes: number;
    if (value === undefined) continue;
    if (key === 'data' || key === 'fieldClocks') {
      if (dataAndClocksBytes !== undefined) valueBytes = 0;
      else valueBytes = jsonBytes(value);
    } else if (typeof value === 'string') valueBytes = stringBytes(value);
    else if (typeof value === 'number')
      valueBytes = Number.isFinite(value) ? String(value).length : 4;
    else if (typeof value === 'boolean') valueBytes = value ? 4 : 5;
    else if (value === null) valueBytes = 4;
    else valueBytes = jsonBytes(value);
    bytes += keyBytes(key) + valueBytes + 1;
  }
  if (bytes === 1) bytes = 2; // `{}`
  if (dataAndClocksBytes !== undefined) bytes += dataAndClocksBytes;
  return record.schemaVersion === undefined ? bytes + SCHEMA_VERSION_BYTES : bytes;
}

/** Collects one pull page's entries up to its record and byte budgets. */
export class PullPage {
  readonly changes: WireRecord[] = [];
  readonly skipped: SkippedRecord[] = [];
  readonly removed: RemovedRecord[] = [];
  readonly #limit: number;
  readonly #pageBytes: number;
  readonly #recordBytes: number;
  #bytes = ENVELOPE_BYTES;

  /**
   * `limit` entries at most; `maxPageBytes` the server's page budget; `clientMaxBytes` the
   * client's budget for a whole answer (`undefined`: it sent none, so no entry is skipped).
   */
  constructor(limit: number, maxPageBytes: number, clientMaxBytes: number | undefined) {
    this.#limit = limit;
    this.#pageBytes = Math.min(maxPageBytes, clientMaxBytes ?? Number.POSITIVE_INFINITY);
    this.#recordBytes =
      clientMaxBytes === undefined ? Number.POSITIVE_INFINITY : clientMaxBytes - ENVELOPE_BYTES;
  }

  /** Entries taken so far (records and placeholders). */
  get size(): number {
    return this.changes.length + this.skipped.length + this.removed.length;
  }

  /** Whether the page holds as many entries as it may. */
  get full(): boolean {
    return this.size >= this.#limit;
  }

  /**
   * Takes `record` into the page, as itself or as a placeholder when it alone is larger than
   * the client can receive; `false` (nothing taken) when the page has no room left for it.
   * `storedBytes`: the UTF-8 bytes of its `data` and `fieldClocks` JSON, when the store knew
   * them (see `FeedEntry.jsonBytes`); only the rest of the record is measured then.
   */
  offer(record: WireRecord, storedBytes?: number): boolean {
    const bytes = wireBytes(record, storedBytes);
    if (bytes > this.#recordBytes) {
      if (!this.#fits(PLACEHOLDER_BYTES)) return false;
      this.skipped.push({
        collection: record.collection,
        id: record.id,
        version: record.version,
        bytes,
        code: 'record_too_large',
      });
      this.#bytes += PLACEHOLDER_BYTES;
      return true;
    }
    if (!this.#fits(bytes)) return false;
    this.changes.push(record);
    this.#bytes += bytes + 1; // and the `,` before the next change
    return true;
  }

  /** Takes a removal (a record that left the user's scope); `false` when there is no room. */
  offerRemoval(removal: RemovedRecord): boolean {
    if (!this.#fits(PLACEHOLDER_BYTES)) return false;
    this.removed.push(removal);
    this.#bytes += PLACEHOLDER_BYTES;
    return true;
  }

  // The first entry always fits: a page always makes progress.
  #fits(bytes: number): boolean {
    return this.size === 0 || this.#bytes + bytes <= this.#pageBytes;
  }
}
