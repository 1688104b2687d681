import { StorageError, TidesyncError, describeValue } from '../../core/index.js';

/** An AES-GCM ciphertext as stored: a fresh 96-bit IV and the ciphertext with its 128-bit tag. */
export interface SealedValue {
  readonly iv: Uint8Array;
  readonly data: Uint8Array;
}

const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encrypts and decrypts JSON values with one WebCrypto AES-GCM key. Every `seal` draws a fresh
 * random IV. `context` (the store and the row's clear fields) is authenticated as additional
 * data, so a ciphertext moved to another row, or a clear field edited, fails to open.
 */
export class ValueCipher {
  readonly #key: CryptoKey;
  readonly #subtle: SubtleCrypto;
  readonly #crypto: Crypto;

  constructor(key: CryptoKey, crypto: Crypto) {
    this.#key = key;
    this.#crypto = crypto;
    this.#subtle = crypto.subtle;
  }

  /** Encrypts `value` (a JSON value) bound to `context`. */
  async seal(value: unknown, context: readonly unknown[]): Promise<SealedValue> {
    const iv = this.#crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const data = await this.#subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode(JSON.stringify(context)) },
      this.#key,
      encoder.encode(JSON.stringify(value)),
    );
    return { iv, data: new Uint8Array(data) };
  }

  /**
   * Decrypts a value sealed with the same key and context.
   * @throws StorageError `STORAGE_KEY_INVALID` when the key is not the one it was sealed with
   * or the row was altered (AES-GCM authentication failed).
   */
  async open(sealed: SealedValue, context: readonly unknown[], database: string): Promise<unknown> {
    let plain: ArrayBuffer;
    try {
      plain = await this.#subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: sealed.iv as Uint8Array<ArrayBuffer>,
          additionalData: encoder.encode(JSON.stringify(context)),
        },
        this.#key,
        sealed.data as Uint8Array<ArrayBuffer>,
      );
    } catch (error) {
      throw new StorageError(
        'STORAGE_KEY_INVALID',
        `A row of IndexedDB \`${database}\` does not decrypt with \`encryptionKey\` (${String(context[0])}): ` +
          'it was encrypted under another key, or it was altered. Open the database with the key ' +
          'it was written with; nothing was changed.',
        { cause: error },
      );
    }
    return JSON.parse(decoder.decode(plain)) as unknown;
  }
}

/** True for a value that looks like a {@link SealedValue}. */
export function isSealed(value: unknown): value is SealedValue {
  const v = value as Partial<SealedValue> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.iv instanceof Uint8Array &&
    v.data instanceof Uint8Array
  );
}

/**
 * Checks an `encryptionKey` option and the WebCrypto it needs, before any I/O.
 * @throws TidesyncError `INVALID_OPTION` for anything but an AES-GCM CryptoKey that may
 * encrypt and decrypt, or when this environment has no `crypto.subtle` (insecure context).
 */
export function createCipher(key: unknown, crypto: Crypto | undefined): ValueCipher {
  const k = key as Partial<CryptoKey> | null;
  const usages = Array.isArray(k?.usages) ? k.usages : [];
  if (
    typeof k !== 'object' ||
    k === null ||
    k.type !== 'secret' ||
    (k.algorithm as { name?: unknown } | undefined)?.name !== 'AES-GCM' ||
    !usages.includes('encrypt') ||
    !usages.includes('decrypt')
  ) {
    throw new TidesyncError(
      'INVALID_OPTION',
      `Expected \`encryptionKey\` to be an AES-GCM CryptoKey with usages encrypt and decrypt, got ` +
        `${describeValue(key)}. Create one with \`crypto.subtle.generateKey({ name: 'AES-GCM', ` +
        "length: 256 }, false, ['encrypt', 'decrypt'])` (see docs/security.md).",
    );
  }
  if (!crypto?.subtle) {
    throw new TidesyncError(
      'INVALID_OPTION',
      'Encrypting IndexedDB needs WebCrypto (`crypto.subtle`), which this environment does not ' +
        'have: browsers offer it only in secure contexts (https or localhost).',
    );
  }
  return new ValueCipher(key as CryptoKey, crypto);
}
