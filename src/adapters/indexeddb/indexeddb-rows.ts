import type { OutboxOp, StoredRecord } from '../../core/index.js';
import { StorageError } from '../../core/index.js';
import type { SealedValue, ValueCipher } from './indexeddb-cipher.js';
import { isSealed } from './indexeddb-cipher.js';

/**
 * How encrypted rows look in IndexedDB. Only what a key path or an index needs stays in clear:
 *
 * - `records`: `collection`, `id` (the key) and `serverId` (index `byServerId`); the rest of the
 *   record (data, clocks, version, timestamps, sync status, the conflict's remote version) is
 *   in `sealed`.
 * - `ops`: `opId` (the key), `seq`, `collection`, `id` and `state` (indexes `bySeq`, `byRecord`,
 *   `byState`, `byStateSeq`); payload, patch, field names, clocks, attempts and errors are sealed.
 * - `meta`: keys in clear, every value sealed.
 *
 * The clear fields are authenticated with the ciphertext, so editing them breaks the row.
 */
export interface RecordRow {
  readonly collection: string;
  readonly id: string;
  readonly serverId: string | null;
  readonly sealed: SealedValue;
}

/** An encrypted `ops` row; see {@link RecordRow}. */
export interface OpRow {
  readonly opId: string;
  readonly seq: number;
  readonly collection: string;
  readonly id: string;
  readonly state: OutboxOp['state'];
  readonly sealed: SealedValue;
}

const recordContext = (r: { collection: string; id: string; serverId: string | null }) => [
  'records',
  r.collection,
  r.id,
  r.serverId,
];
const opContext = (o: Omit<OpRow, 'sealed'>) => ['ops', o.opId, o.seq, o.collection, o.id, o.state];

/** Turns records, ops and metadata values into encrypted rows and back. */
export class EncryptedRows {
  readonly #cipher: ValueCipher;
  readonly #database: string;

  constructor(cipher: ValueCipher, database: string) {
    this.#cipher = cipher;
    this.#database = database;
  }

  async sealRecord(record: StoredRecord): Promise<RecordRow> {
    const { collection, id, serverId, ...rest } = record;
    const sealed = await this.#cipher.seal(rest, recordContext(record));
    return { collection, id, serverId, sealed };
  }

  async openRecord(row: unknown): Promise<StoredRecord> {
    const r = this.#checked(row, 'records') as RecordRow;
    const rest = (await this.#cipher.open(r.sealed, recordContext(r), this.#database)) as object;
    return { collection: r.collection, id: r.id, serverId: r.serverId, ...rest } as StoredRecord;
  }

  async sealOp(op: OutboxOp): Promise<OpRow> {
    const { opId, seq, collection, id, state, ...rest } = op;
    const clear = { opId, seq, collection, id, state };
    return { ...clear, sealed: await this.#cipher.seal(rest, opContext(clear)) };
  }

  async openOp(row: unknown): Promise<OutboxOp> {
    const { sealed, ...clear } = this.#checked(row, 'ops') as OpRow;
    const rest = (await this.#cipher.open(sealed, opContext(clear), this.#database)) as object;
    return { ...clear, ...rest } as OutboxOp;
  }

  async sealMeta(key: string, value: unknown): Promise<{ sealed: SealedValue }> {
    return { sealed: await this.#cipher.seal(value, ['meta', key]) };
  }

  async openMeta(key: string, row: unknown): Promise<unknown> {
    if (row === undefined) return undefined;
    const { sealed } = this.#checked(row, 'meta') as { sealed: SealedValue };
    return this.#cipher.open(sealed, ['meta', key], this.#database);
  }

  #checked(row: unknown, store: string): unknown {
    if (isSealed((row as { sealed?: unknown } | null)?.sealed)) return row;
    throw new StorageError(
      'STORAGE_KEY_INVALID',
      `IndexedDB \`${this.#database}\` holds an unencrypted row in \`${store}\`, but the adapter ` +
        'has an `encryptionKey`. Open databases written without a key without one.',
    );
  }
}
