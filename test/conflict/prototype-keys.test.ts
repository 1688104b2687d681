import { afterEach, describe, expect, it } from 'vitest';
import type { ConflictInput, ConflictStrategy, RecordData } from 'tidesync';
import { TidesyncError, custom, fieldMerge, lastWriteWins } from 'tidesync';
import { T0, createWorld, hlcAt, notes, snapshot } from './conflict-helpers.js';

/** Patches as they arrive from JSON: `__proto__` is an own key there, not the prototype. */
const HOSTILE: [string, string][] = [
  ['__proto__', '{"title":"x","__proto__":{"polluted":"yes"}}'],
  ['constructor', '{"title":"x","constructor":{"prototype":{"polluted":"yes"}}}'],
  ['nested __proto__', '{"title":"x","body":{"__proto__":{"polluted":"yes"}}}'],
];

const clean = () => {
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
};
afterEach(clean);

function input(patch: RecordData): ConflictInput {
  const h1 = hlcAt(T0 + 1, 0, 'remote');
  const h2 = hlcAt(T0 + 2, 0, 'local');
  return {
    collection: 'notes',
    id: 'n1',
    local: {
      data: { title: 't', body: 'b', ...patch },
      hlc: h2,
      fieldClocks: Object.fromEntries(Object.keys(patch).map((f) => [f, h2])),
      changedFields: Object.keys(patch),
    },
    remote: { data: { title: 't', body: 'b' }, hlc: h1, fieldClocks: { title: h1, body: h1 } },
  };
}

describe('prototype keys in a conflict', () => {
  const strategies: [string, ConflictStrategy][] = [
    ['fieldMerge', fieldMerge()],
    ['lastWriteWins', lastWriteWins()],
    ['custom', custom(({ local }) => local.data)],
  ];

  describe.each(strategies)('%s refuses the patch', (_, strategy) => {
    it.each(HOSTILE)('with %s', (_key, json) => {
      const patch = JSON.parse(json) as RecordData;
      let thrown: unknown;
      try {
        strategy.resolve(input(patch));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TidesyncError);
      expect(thrown).toMatchObject({ code: 'FORBIDDEN_FIELD' });
    });
  });

  it('custom(): a resolver answer holding __proto__ is refused', () => {
    const strategy = custom(() => JSON.parse('{"title":"x","__proto__":{"polluted":"yes"}}'));
    expect(() => strategy.resolve(input({ title: 'y' }))).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN_FIELD' }),
    );
  });

  it('a merged record never gets a prototype from its data', () => {
    const outcome = fieldMerge().resolve(input({ title: 'y' }));
    expect(outcome).toMatchObject({ kind: 'merged', data: { title: 'y', body: 'b' } });
    expect(Object.getPrototypeOf(outcome.kind === 'merged' ? outcome.data : null)).toBe(
      Object.prototype,
    );
  });
});

describe('prototype keys through client and server', () => {
  async function setup() {
    const world = createWorld([notes(fieldMerge())]);
    const a = await world.device();
    const n = await a.client.collection('notes').insert({ title: 't', body: 'b' });
    await a.client.sync();
    return { world, a, n };
  }

  it.each(HOSTILE)(
    'client: update() with %s is refused; nothing is written or queued',
    async (_, json) => {
      const { world, a, n } = await setup();
      await expect(
        a.client.collection('notes').update(n.id, JSON.parse(json) as RecordData),
      ).rejects.toMatchObject({ code: 'FORBIDDEN_FIELD' });
      expect(a.client.status.pendingOps).toBe(0);
      expect(await snapshot(a.client, 'notes')).toMatchObject([{ title: 't', body: 'b' }]);
      await world.close();
    },
  );

  /** Pushes one update op with a raw JSON patch, on a stale base version (so it is concurrent). */
  async function pushRaw(
    world: Awaited<ReturnType<typeof setup>>['world'],
    id: string,
    patch: string,
  ) {
    const hlc = hlcAt(T0 + 5, 0, 'evil');
    const body = `{"protocol":1,"clientId":"evil","ops":[{"opId":"o1","seq":1,"collection":"notes","id":"${id}","serverId":"${id}","type":"update","patch":${patch},"data":null,"baseVersion":0,"hlc":"${hlc}","fieldClocks":{"title":"${hlc}"}}]}`;
    return world.server.fetch(
      new Request('http://test.local/sync/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
    );
  }

  it('server: control, the same concurrent op without a prototype key is merged', async () => {
    const { world, a } = await setup();
    const [row] = await snapshot(a.client, 'notes');
    const response = await pushRaw(world, String(row!.serverId), '{"title":"x"}');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ results: [{ status: 'applied', merged: true }] });
    await world.close();
  });

  it.each(HOSTILE)(
    'server: a concurrent field-merge op with %s is refused with 400',
    async (_, json) => {
      const { world, a } = await setup();
      const [row] = await snapshot(a.client, 'notes');
      const response = await pushRaw(world, String(row!.serverId), json);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'bad_request' } });
      const fresh = await world.device();
      await fresh.client.sync();
      expect(await snapshot(fresh.client, 'notes')).toMatchObject([{ title: 't', body: 'b' }]);
      await world.close();
    },
  );
});
