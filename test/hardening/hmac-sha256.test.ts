import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacSha256, sha256 } from '../../src/server/hmac-sha256.js';

// The cursor seal's HMAC-SHA-256 (plain TypeScript) agrees with Node's crypto.
describe('hmacSha256', () => {
  it('matches node:crypto for messages around the block sizes and keys of every length class', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 200, 1000]) {
      const message = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 255);
      expect(Buffer.from(sha256(message)).toString('hex')).toBe(
        createHash('sha256').update(message).digest('hex'),
      );
      for (const k of [0, 3, 64, 100]) {
        const key = new Uint8Array(k).map((_, i) => (i * 13) & 255);
        expect(Buffer.from(hmacSha256(key, message)).toString('hex')).toBe(
          createHmac('sha256', key).update(message).digest('hex'),
        );
      }
    }
  });
});
