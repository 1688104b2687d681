import { afterEach, describe, expect, it, vi } from 'vitest';
import { httpTransport } from 'tidesync';

// Issue 21 (transport): `httpTransport({ url: '/sync' })` in a browser, as docs/multi-tab.md
// shows; in Node (no page) a clear INVALID_OPTION.

function recordingFetch() {
  const calls: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    calls.push(String(input));
    return new Response('{"ok":true}', { status: 200 });
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('httpTransport with a relative url', () => {
  it("resolves against the page's document.baseURI", async () => {
    vi.stubGlobal('document', { baseURI: 'https://app.example.com/app/index.html' });
    const { calls, fetch } = recordingFetch();
    await httpTransport({ url: '/sync', fetch }).send('pull', {});
    await httpTransport({ url: 'api/sync/', fetch }).send('push', {});
    expect(calls).toEqual([
      'https://app.example.com/sync/pull',
      'https://app.example.com/app/api/sync/push',
    ]);
  });

  it('resolves against location.href where there is no document (a worker)', async () => {
    vi.stubGlobal('location', { href: 'https://app.example.com/workers/sync-worker.js' });
    const { calls, fetch } = recordingFetch();
    await httpTransport({ url: '../sync', fetch }).send('get', {});
    expect(calls).toEqual(['https://app.example.com/sync/get']);
  });

  it('gives INVALID_OPTION in Node, where there is no page to resolve against', () => {
    const { fetch } = recordingFetch();
    let caught: unknown;
    try {
      httpTransport({ url: '/sync', fetch });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ name: 'TidesyncError', code: 'INVALID_OPTION' });
    expect((caught as Error).message).toContain('relative URL');
  });

  it('still refuses a page-relative URL that resolves to another scheme', () => {
    vi.stubGlobal('document', { baseURI: 'https://app.example.com/' });
    expect(() => httpTransport({ url: 'ftp://files.example.com/sync' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
