import type { OutboxOp, StoredRecord } from '../../core/index.js';
import { mapThrown } from './indexeddb-errors.js';
import { whileActive } from './indexeddb-keep-alive.js';
import type { EncryptedRows } from './indexeddb-rows.js';
import { isSealedRow } from './indexeddb-staging.js';

/** Where rows read in one IndexedDB transaction are opened: the transaction and its codec. */
export interface RowSource {
  readonly idb: IDBTransaction;
  readonly database: string;
  /** The encryption codec; absent without encryption. */
  readonly rows: EncryptedRows | undefined;
}

/** Awaits WebCrypto work without letting IndexedDB auto-commit; maps failures. */
export async function decodeWhileActive<T>(
  source: RowSource,
  work: Promise<T>,
  action: string,
): Promise<T> {
  try {
    return await whileActive(source.idb, work);
  } catch (error) {
    throw mapThrown(error, source.database, action);
  }
}

/** Stored rows as records: decrypted with encryption, else as read. */
export async function openRecords(
  source: RowSource,
  rows: readonly unknown[],
): Promise<StoredRecord[]> {
  const codec = source.rows;
  if (!codec) return rows as StoredRecord[];
  return decodeWhileActive(
    source,
    Promise.all(rows.map((r) => codec.openRecord(r))),
    'decrypting records',
  );
}

/** Ops, decrypting those read from storage (buffered ones are plain already). */
export async function openOps(source: RowSource, ops: readonly OutboxOp[]): Promise<OutboxOp[]> {
  const codec = source.rows;
  if (!codec || !ops.some(isSealedRow)) return ops as OutboxOp[];
  const opened = ops.map((op) => (isSealedRow(op) ? codec.openOp(op) : op));
  return decodeWhileActive(source, Promise.all(opened), 'decrypting ops');
}
