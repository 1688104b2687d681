import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sqliteServerStore } from 'tidesync/server';
import { measureRecordJson, takeRecordJson } from '../../src/server/record-json.js';
import { sampleServerRecord } from '../../src/testing/conformance/server-store.js';
import { makeServer, op, pullAll, push } from './server-helpers.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('a pushed record is serialised once for the size check and the write', () => {
  it('stringifies each inserted record data once in a SQLite push, and stores it whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidesync-once-'));
    dirs.push(dir);
    const db = new Database(join(dir, 'sync.db'));
    const server = makeServer(sqliteServerStore(db));
    const titles = ['first once', 'second once', 'third once'];
    const stringify = vi.spyOn(JSON, 'stringify');
    const answer = await push(
      server,
      'c1',
      titles.map((title, i) => op({ seq: i + 1, data: { title, done: false } })),
    );
    const dataTexts = stringify.mock.calls.filter(([value]) => {
      const title = (value as { title?: unknown } | null)?.title;
      return typeof title === 'string' && titles.includes(title) && !('collection' in value!);
    });
    stringify.mockRestore();
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    expect(dataTexts).toHaveLength(titles.length);
    const { changes } = await pullAll(server, 'c2');
    expect(changes.map((c) => c.data['title']).sort()).toEqual([...titles].sort());
    db.close();
  });

  it('still refuses a record over maxRecordBytes, measured on the text it would write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidesync-once-'));
    dirs.push(dir);
    const db = new Database(join(dir, 'sync.db'));
    const server = makeServer(sqliteServerStore(db), { maxRecordBytes: 200 });
    const answer = await push(server, 'c1', [
      op({ seq: 1, data: { title: 'é'.repeat(100), done: false } }),
    ]);
    expect(answer.body.results[0]).toMatchObject({ status: 'rejected', code: 'record_too_large' });
    db.close();
  });

  it('hands the measured texts over once, only for the same record and objects', () => {
    const record = sampleServerRecord({ id: 'r1', data: { title: 'a' } });
    const measured = measureRecordJson(record);
    expect(measured.data).toBe('{"title":"a"}');
    expect(takeRecordJson(record)).toBe(measured);
    // Taken once: a second write of the same record (its data changed in place) is serialised anew.
    (record.data as Record<string, unknown>)['title'] = 'b';
    expect(takeRecordJson(record).data).toBe('{"title":"b"}');

    measureRecordJson(record);
    const replaced = { ...record, data: { title: 'c' } };
    expect(takeRecordJson(replaced).data).toBe('{"title":"c"}');
    const other = sampleServerRecord({ id: 'r2', data: { title: 'd' } });
    measureRecordJson(record);
    expect(takeRecordJson(other).data).toBe('{"title":"d"}');
  });
});
