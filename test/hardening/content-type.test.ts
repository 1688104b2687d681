import { describe, expect, it } from 'vitest';
import { op, pullAll, storeKinds } from '../server/server-helpers.js';
import { serverPerTest } from '../server/server-per-test.js';

// Item 9 (issue 15): a browser sends these cross-site without a CORS preflight. The server
// must refuse them before anything is read, so a cookie-authenticated app cannot be written to
// from another site.
const SIMPLE_TYPES: readonly (string | null)[] = [
  'text/plain',
  'text/plain;charset=UTF-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  null,
];

describe.each(storeKinds())('content type of sync requests: $name', (kind) => {
  const env = serverPerTest(kind);

  const send = (path: string, body: unknown, contentType: string | null) => {
    const headers: Record<string, string> = { 'x-user': 'alice' };
    if (contentType !== null) headers['content-type'] = contentType;
    // A Request with a string body and no content-type gets text/plain from the platform;
    // a Blob with an empty type sends none at all.
    const payload = contentType === null ? new Blob([JSON.stringify(body)]) : JSON.stringify(body);
    return env.server.fetch(
      new Request(`http://sync.test/api/${path}`, { method: 'POST', headers, body: payload }),
    );
  };

  const bodies: Record<string, unknown> = {
    push: { protocol: 1, clientId: 'c1', ops: [op({ seq: 1, id: 'cross-site' })] },
    pull: { protocol: 1, clientId: 'c1', cursor: null, limit: 10 },
    get: { protocol: 1, clientId: 'c1', collection: 'todos', ids: ['cross-site'] },
  };

  it.each(['push', 'pull', 'get'])(
    'refuses a %s body that is not application/json with 415 and applies nothing',
    async (path) => {
      for (const type of SIMPLE_TYPES) {
        const response = await send(path, bodies[path], type);
        expect(response.status, `content-type ${type}`).toBe(415);
        const answer = (await response.json()) as { error: { code: string; message: string } };
        expect(answer.error.code).toBe('unsupported_media_type');
        expect(answer.error.message).toContain('application/json');
      }
      const { changes } = await pullAll(env.server, 'c2');
      expect(changes).toEqual([]);
    },
  );

  it('accepts application/json with a charset parameter, in any case', async () => {
    const response = await send('push', bodies['push'], 'Application/JSON; charset=utf-8');
    expect(response.status).toBe(200);
    const { changes } = await pullAll(env.server, 'c2');
    expect(changes.map((c) => c.id)).toEqual(['cross-site']);
  });
});
