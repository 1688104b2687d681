import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hmacSha256With } from '../../src/server/hmac-sha256.js';
import { decodeCursor, encodeCursor, fingerprintOf } from '../../src/server/pull-cursor.js';
import type { ServerRecord } from '../../src/server/server-store.js';

const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * seed + 7) & 255);
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');

// The cursor seal keeps each key's schedule (node:crypto's HMAC, or the plain one's padded key
// blocks) for the next page: the cursors must stay byte for byte those of earlier releases.
describe('cursor seal', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('an HMAC kept for many messages matches node:crypto, plain or not, for every key length', () => {
    for (const k of [0, 1, 32, 63, 64, 65, 200]) {
      const key = bytes(k, 13);
      const kept = hmacSha256With(key);
      const plain = hmacSha256With(key, true);
      for (const n of [0, 1, 13, 25, 55, 56, 64, 119, 1000]) {
        const message = bytes(n, 31);
        const expected = createHmac('sha256', key).update(message).digest('hex');
        expect(hex(kept(message))).toBe(expected);
        expect(hex(plain(message))).toBe(expected);
      }
    }
  });

  it('falls back to the plain HMAC on a runtime without node:crypto', () => {
    vi.spyOn(process, 'getBuiltinModule').mockReturnValue(undefined as never);
    const key = bytes(40, 3);
    const mac = hmacSha256With(key);
    expect(process.getBuiltinModule).toHaveBeenCalledWith('node:crypto');
    expect(hex(mac(bytes(25, 5)))).toBe(
      createHmac('sha256', key).update(bytes(25, 5)).digest('hex'),
    );
  });

  it('issues the same cursors as before, and each opens only under its own epoch and secret', () => {
    // Values issued by the previous release's code.
    const cases = [
      ['epoch-1', '', 0, 0, 'AnZa5ILS8dRRr9X_ZqYVn6fyQUloLRvpnGoOp5zurRgAw8o0LCxjhzk'],
      ['epoch-1', 'secret', 12345, 678, 'AlaAMI8ds4PFsW2wHqf8kRl9wdn-OnYrOacAZO_lBnNgOYDVmaRDeBw'],
      [
        'ëpoch 🌊',
        's'.repeat(100),
        2 ** 40 + 3,
        0xffffffff,
        'AlCmYPpKWik1YksbuNpZYlpq5nFoD_MivEOZkBn4wgkuCRJavrfNUV0',
      ],
    ] as const;
    for (const [epoch, secret, position, fingerprint, cursor] of cases) {
      expect(encodeCursor(epoch, secret, position, fingerprint)).toBe(cursor);
      expect(decodeCursor(cursor, epoch, secret)).toEqual({ position, fingerprint });
      expect(decodeCursor(cursor, epoch, `${secret}x`)).toBeUndefined();
      expect(decodeCursor(cursor, `${epoch}x`, secret)).toBeUndefined();
    }
    // Many stores in one process: every key still seals its own cursors.
    for (let i = 0; i < 40; i++) {
      const cursor = encodeCursor(`epoch-${i}`, 'secret', i, i);
      expect(decodeCursor(cursor, `epoch-${i}`, 'secret')).toEqual({ position: i, fingerprint: i });
    }
    expect(decodeCursor(cases[1][4], 'epoch-1', 'secret')).toEqual({
      position: 12345,
      fingerprint: 678,
    });
  });

  it('fingerprints a record as FNV-1a of its collection, id and version', () => {
    const record = (collection: string, id: string, version: number) =>
      ({ collection, id, version }) as ServerRecord;
    expect(fingerprintOf(record('todos', 'r1', 3))).toBe(3253955306);
    expect(fingerprintOf(record('tödös', '🌊\u0000x', 123456789))).toBe(3684386727);
  });
});
