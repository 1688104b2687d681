import type { StoredRecord } from '../../core/index.js';
import { assertEqual, assertTrue } from './assert.js';
import type { StorageConformanceCase } from './storage-fixtures.js';
import { adapterCase, makeRecord, putRecords } from './storage-fixtures.js';

const byId = (a: StoredRecord, b: StoredRecord): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Conformance cases for record storage: values, copies, lookups and listing. */
export const storageRecordCases: readonly StorageConformanceCase[] = [
  adapterCase(
    'round-trips a record with every field set, nested data, null serverId and conflict info',
    async (adapter) => {
      const full = makeRecord({
        id: 'r1',
        serverId: 's-1',
        data: {
          title: 'buy milk',
          count: 3,
          ratio: -0.25,
          done: true,
          nothing: null,
          tags: ['a', 'b', ['c', { d: 1 }]],
          nested: { deep: { deeper: { list: [1, 2, 3], flag: false } }, empty: {} },
          emptyList: [],
        },
        version: 7,
        fieldClocks: { title: '0001700000000001-0002-client1', count: '0001700000000002-0000-x' },
        updatedAt: 1_700_000_000_123,
        accessedAt: 1_700_000_000_456,
        syncStatus: 'conflicted',
        conflict: {
          remote: { title: 'buy oat milk', nested: { a: [null, 1] } },
          remoteVersion: 8,
          remoteHlc: '0001700000000009-0000-server',
          remoteFieldClocks: { title: '0001700000000009-0000-server' },
          detectedAt: 1_700_000_000_999,
        },
      });
      const bare = makeRecord({ id: 'r2', serverId: null, data: {}, conflict: null });
      const tombstone = makeRecord({
        id: 'r3',
        deleted: true,
        conflict: {
          remote: null,
          remoteVersion: 2,
          remoteHlc: '0001700000000009-0000-server',
          remoteFieldClocks: {},
          detectedAt: 1,
        },
      });
      await putRecords(adapter, [full, bare, tombstone]);
      const expected: [
        collection: string,
        id: string,
        record: StoredRecord | undefined,
        what: string,
      ][] = [
        ['todos', 'r1', full, 'full record'],
        ['todos', 'r2', bare, 'record with empty data'],
        ['todos', 'r3', tombstone, 'deleted record'],
        ['todos', 'missing', undefined, 'missing record'],
        ['other', 'r1', undefined, 'same id, other collection'],
      ];
      await adapter.transaction('readonly', async (tx) => {
        for (const [collection, id, record, what] of expected) {
          assertEqual(await tx.getRecord(collection, id), record, what);
        }
      });
    },
  ),
  adapterCase('putRecord replaces the record with the same collection and id', async (adapter) => {
    const second = makeRecord({ id: 'r1', data: { only: 'this' }, version: 2, serverId: 's' });
    await putRecords(adapter, [
      makeRecord({ id: 'r1', data: { title: 'first', extra: 1 } }),
      makeRecord({ id: 'r1', collection: 'other' }),
    ]);
    await adapter.transaction('readwrite', (tx) => tx.putRecord(second));
    await adapter.transaction('readonly', async (tx) => {
      assertEqual(await tx.getRecord('todos', 'r1'), second, 'replaced record');
      assertEqual((await tx.listRecords('todos')).length, 1, 'one record in todos');
      assertEqual(
        await tx.getRecord('other', 'r1'),
        makeRecord({ id: 'r1', collection: 'other' }),
        'record of the other collection untouched',
      );
    });
  }),
  adapterCase(
    'returns copies: mutating a returned or a passed-in object changes nothing stored',
    async (adapter) => {
      const original = makeRecord({ id: 'r1', data: { list: [1, 2], obj: { a: 1 } } });
      const input = structuredClone(original) as { data: Record<string, unknown> };
      await adapter.transaction('readwrite', async (tx) => {
        await tx.putRecord(input as StoredRecord);
        (input.data['list'] as number[]).push(3);
        input.data['added'] = true;
        const inside = (await tx.getRecord('todos', 'r1')) as { data: Record<string, unknown> };
        inside.data['obj'] = 'changed';
      });
      await adapter.transaction('readonly', async (tx) => {
        const got = (await tx.getRecord('todos', 'r1')) as unknown as {
          data: Record<string, unknown>;
        };
        assertEqual(got, original, 'stored record after mutating the input');
        (got.data['list'] as number[]).push(99);
        const [listed] = (await tx.listRecords('todos')) as unknown as {
          data: Record<string, unknown>;
        }[];
        assertEqual(listed, original, 'stored record after mutating a returned copy');
        if (listed) listed.data['x'] = 1;
        assertEqual(
          await tx.queryRecords('todos', {}),
          [original],
          'query result after mutating a listed copy',
        );
      });
    },
  ),
  adapterCase(
    'getRecordByServerId finds the record by its canonical id within its collection',
    async (adapter) => {
      const a = makeRecord({ id: 'local-a', serverId: 'srv-a' });
      const b = makeRecord({ id: 'local-b', serverId: null });
      const c = makeRecord({ id: 'local-c', collection: 'projects', serverId: 'srv-c' });
      await putRecords(adapter, [a, b, c]);
      await adapter.transaction('readwrite', async (tx) => {
        assertEqual(await tx.getRecordByServerId('todos', 'srv-a'), a, 'by server id');
        assertEqual(await tx.getRecordByServerId('todos', 'local-a'), undefined, 'local id');
        assertEqual(await tx.getRecordByServerId('todos', 'srv-c'), undefined, 'other coll.');
        assertEqual(await tx.getRecordByServerId('projects', 'srv-c'), c, 'projects');
        // The server confirms b, and a's server id moves away: lookups follow at once.
        await tx.putRecord({ ...b, serverId: 'srv-b' });
        await tx.putRecord({ ...a, serverId: 'srv-a2' });
        assertEqual(
          (await tx.getRecordByServerId('todos', 'srv-b'))?.id,
          'local-b',
          'new server id inside the transaction',
        );
        assertEqual(await tx.getRecordByServerId('todos', 'srv-a'), undefined, 'old server id');
      });
      await adapter.transaction('readonly', async (tx) => {
        assertEqual((await tx.getRecordByServerId('todos', 'srv-b'))?.id, 'local-b', 'after');
        assertEqual((await tx.getRecordByServerId('todos', 'srv-a2'))?.id, 'local-a', 'moved');
        assertEqual(await tx.getRecordByServerId('todos', 'srv-a'), undefined, 'old gone');
      });
    },
  ),
  adapterCase(
    'deleteRecord removes a record physically and ignores missing ones',
    async (adapter) => {
      await putRecords(adapter, [
        makeRecord({ id: 'r1', serverId: 's1' }),
        makeRecord({ id: 'r2' }),
      ]);
      await adapter.transaction('readwrite', async (tx) => {
        await tx.deleteRecord('todos', 'r1');
        await tx.deleteRecord('todos', 'never-existed');
        await tx.deleteRecord('no-such-collection', 'r2');
        assertEqual(await tx.getRecord('todos', 'r1'), undefined, 'deleted inside the tx');
      });
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(await tx.getRecord('todos', 'r1'), undefined, 'deleted record');
        assertEqual(await tx.getRecordByServerId('todos', 's1'), undefined, 'by server id');
        assertEqual(
          (await tx.listRecords('todos')).map((r) => r.id),
          ['r2'],
          'remaining',
        );
      });
    },
  ),
  adapterCase(
    'listRecords returns every record of a collection, deleted ones included, ordered by id',
    async (adapter) => {
      const ids = ['m', 'a', 'Z', 'b10', 'b2', '0', 'aa', 'é', '~'];
      const records = ids.map((id, i) => makeRecord({ id, deleted: i % 3 === 0 }));
      await adapter.transaction('readwrite', async (tx) => {
        for (const r of records) await tx.putRecord(r);
        await tx.putRecord(makeRecord({ id: 'x', collection: 'other' }));
      });
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(await tx.listRecords('todos'), [...records].sort(byId), 'listed records');
        assertEqual(await tx.listRecords('empty'), [], 'unknown collection');
      });
    },
  ),
  adapterCase(
    'listCollections names exactly the collections that hold at least one record',
    async (adapter) => {
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(await tx.listCollections(), [], 'empty store');
      });
      await putRecords(adapter, [
        makeRecord({ id: '1', collection: 'todos' }),
        makeRecord({ id: '2', collection: 'projects', deleted: true }),
        makeRecord({ id: '3', collection: 'tags' }),
      ]);
      await adapter.transaction('readwrite', async (tx) => {
        await tx.deleteRecord('tags', '3');
        const names = await tx.listCollections();
        assertEqual([...names].sort(), ['projects', 'todos'], 'collections');
      });
    },
  ),
  adapterCase(
    'round-trips unicode in ids, collection names and values, ordering ids by UTF-16 code units',
    async (adapter) => {
      const ids = ['a', 'ÿ', '中文', '\uff01', '😀', 'e\u0301', 'z'];
      const data = {
        text: 'héllo wörld — 日本語 — עברית — 😀👍🏽 — e\u0301 — \u0000 nul — "quotes" \\ /',
        emoji: '🏳️‍🌈',
        keys: { ключ: 'значение', '😀': '😀', 'a.b': 1, $x: 2 },
      };
      const records = ids.map((id) => makeRecord({ id, collection: 'zbiór-🙂', data }));
      await adapter.transaction('readwrite', async (tx) => {
        for (const r of records) await tx.putRecord(r);
      });
      await adapter.transaction('readonly', async (tx) => {
        assertEqual(await tx.getRecord('zbiór-🙂', '😀'), records[4], 'unicode record');
        assertEqual(
          await tx.listRecords('zbiór-🙂'),
          [...records].sort(byId),
          'listRecords in UTF-16 code unit order',
        );
        assertEqual(await tx.listCollections(), ['zbiór-🙂'], 'unicode collection name');
        assertEqual(
          (await tx.queryRecords('zbiór-🙂', { where: { emoji: '🏳️‍🌈' } })).length,
          ids.length,
          'query by a unicode value',
        );
      });
    },
  ),
  adapterCase('round-trips large values (a 1 MB string)', async (adapter) => {
    const chunk = 'tidesync-é-😀-';
    const big = chunk.repeat(Math.ceil(1_048_576 / chunk.length)).slice(0, 1_048_576);
    const record = makeRecord({ id: 'big', data: { big, list: [big.slice(0, 1000)] } });
    await adapter.transaction('readwrite', (tx) => tx.putRecord(record));
    await adapter.transaction('readonly', async (tx) => {
      const got = await tx.getRecord('todos', 'big');
      assertTrue(got?.data['big'] === big, 'the 1 MB string comes back unchanged');
      assertEqual(got, record, 'large record');
    });
  }),
  adapterCase('writes 1,000 records in one transaction', async (adapter) => {
    const records = Array.from({ length: 1000 }, (_, i) =>
      makeRecord({ id: `r${String(i).padStart(4, '0')}`, data: { i, even: i % 2 === 0 } }),
    );
    await adapter.transaction('readwrite', async (tx) => {
      for (const r of records) await tx.putRecord(r);
    });
    await adapter.transaction('readonly', async (tx) => {
      assertEqual(await tx.listRecords('todos'), records, 'all 1,000 records');
      const even = await tx.queryRecords('todos', { where: { even: true }, limit: 600 });
      assertEqual(even.length, 500, 'even records');
    });
  }),
];
