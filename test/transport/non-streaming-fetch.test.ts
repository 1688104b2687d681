import { describe, expect, it } from 'vitest';
import { httpTransport, isTidesyncError } from 'tidesync';

/** A Response as React Native's built-in fetch makes it: no `body` stream, only `text()`. */
function wholeBodyFetch(text: string): typeof globalThis.fetch {
  return (async () =>
    ({
      status: 200,
      ok: true,
      body: null,
      headers: new Headers({ 'content-type': 'application/json' }),
      text: () => Promise.resolve(text),
    }) as unknown as Response) as unknown as typeof globalThis.fetch;
}

describe('httpTransport with a fetch that has no streaming body (React Native)', () => {
  it('reads the answer whole', async () => {
    const fetch = wholeBodyFetch(JSON.stringify({ changes: [], cursor: 'c1' }));
    await expect(httpTransport({ url: 'http://x/sync', fetch }).send('pull', {})).resolves.toEqual({
      changes: [],
      cursor: 'c1',
    });
  });

  it('still holds the answer to maxResponseBytes', async () => {
    const fetch = wholeBodyFetch(JSON.stringify({ pad: 'é'.repeat(600) }));
    const error = await httpTransport({ url: 'http://x/sync', fetch, maxResponseBytes: 1_000 })
      .send('pull', {})
      .catch((caught: unknown) => caught);
    expect(isTidesyncError(error) && error.code).toBe('RESPONSE_TOO_LARGE');
  });
});
