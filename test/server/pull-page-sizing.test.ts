import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteServerStore } from 'tidesync/server';
import { sampleServerRecord } from 'tidesync/testing';
import { toWireRecord } from '../../src/server/server-context.js';
import { PullPage, jsonBytes, utf8Length } from '../../src/server/pull-page.js';

// A pull sizes its page from the JSON text the SQLite store already holds (FeedEntry.jsonBytes)
// instead of serialising every record again; the sizes must be the exact ones.
const ENVELOPE_BYTES = 1024;
const awkward = {
  title: 'quotes " and \\ backslashes, a newline\n and a tab\t',
  accents: 'é, ü, 中文, 🌊🌊',
  control: '\u0001\u001f',
  nested: { list: [1, -0, 1e21, 0.1, null, true, 'x'], deeper: { a: [] } },
};

async function storedEntries() {
  const store = sqliteServerStore(new Database(':memory:'));
  await store.open();
  await store.transaction(async (tx) => {
    await tx.putRecord(sampleServerRecord({ id: 'ascii', data: { title: 'plain' } }));
    await tx.putRecord(sampleServerRecord({ id: 'awkward', data: awkward }));
    await tx.putRecord(sampleServerRecord({ id: 'sample' }));
  });
  const entries = await store.read((r) => r.listChanges(0, 10));
  await store.close();
  return entries;
}

describe('pull page sizing from stored JSON', () => {
  it('the SQLite feed gives the UTF-8 bytes of data plus field clocks as stored', async () => {
    const entries = await storedEntries();
    expect(entries).toHaveLength(3);
    for (const entry of entries) {
      expect(entry.jsonBytes).toBe(
        jsonBytes(entry.record.data) + jsonBytes(entry.record.fieldClocks),
      );
    }
  });

  it('takes a record of exactly the client budget whole and one byte over as a placeholder', async () => {
    for (const entry of await storedEntries()) {
      const wire = toWireRecord(entry.record, 'c1');
      const exact = utf8Length(JSON.stringify(wire));
      const fits = new PullPage(10, Number.MAX_SAFE_INTEGER, exact + ENVELOPE_BYTES);
      expect(fits.offer(wire, entry.jsonBytes)).toBe(true);
      expect(fits.changes).toEqual([wire]);
      const over = new PullPage(10, Number.MAX_SAFE_INTEGER, exact + ENVELOPE_BYTES - 1);
      expect(over.offer(wire, entry.jsonBytes)).toBe(true);
      expect(over.changes).toEqual([]);
      expect(over.skipped).toEqual([expect.objectContaining({ id: wire.id, bytes: exact })]);
    }
  });

  it('counts UTF-8 bytes like an encoder, ASCII or not', () => {
    for (const text of ['', 'plain', 'é', '中文', '🌊', 'a🌊b', JSON.stringify(awkward)]) {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).byteLength);
    }
  });
});
