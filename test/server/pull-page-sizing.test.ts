import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteServerStore } from 'tidesync/server';
import { sampleServerRecord } from 'tidesync/testing';
import { toWireRecord } from '../../src/server/server-context.js';
import {
  PullPage,
  SCHEMA_VERSION_BYTES,
  jsonBytes,
  utf8Length,
  wireBytes,
} from '../../src/server/pull-page.js';

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
      // Sized before the answer tags it with its schemaVersion: room for the tag is counted.
      const exact = utf8Length(JSON.stringify(wire)) + SCHEMA_VERSION_BYTES;
      const fits = new PullPage(10, Number.MAX_SAFE_INTEGER, exact + ENVELOPE_BYTES);
      expect(fits.offer(wire, entry.jsonBytes)).toBe(true);
      expect(fits.changes).toEqual([wire]);
      const over = new PullPage(10, Number.MAX_SAFE_INTEGER, exact + ENVELOPE_BYTES - 1);
      expect(over.offer(wire, entry.jsonBytes)).toBe(true);
      expect(over.changes).toEqual([]);
      expect(over.skipped).toEqual([expect.objectContaining({ id: wire.id, bytes: exact })]);
    }
  });

  it('sizes a wire record field by field exactly as its JSON, with room for the version tag', async () => {
    const odd = sampleServerRecord({
      collection: 'tödös "x"',
      id: 'id \\ with\u0001 🌊 and \ud800 alone',
      originClientId: 'c1',
      originId: 'ïd\n',
      data: awkward,
    });
    const records = [
      ...(await storedEntries()).map((entry) => entry.record),
      odd,
      sampleServerRecord({ id: 'tomb', deleted: true }),
    ];
    for (const record of records) {
      for (const clientId of ['c1', 'other']) {
        const wire = toWireRecord(record, clientId);
        const stored = jsonBytes(wire.data) + jsonBytes(wire.fieldClocks);
        const exact = jsonBytes(wire);
        expect(wireBytes(wire)).toBe(exact + SCHEMA_VERSION_BYTES);
        expect(wireBytes(wire, stored)).toBe(exact + SCHEMA_VERSION_BYTES);
        for (const version of [1, 12, Number.MAX_SAFE_INTEGER]) {
          const tagged = toWireRecord(record, clientId, version);
          expect(wireBytes(tagged)).toBe(jsonBytes(tagged));
          expect(wireBytes(tagged, stored)).toBe(jsonBytes(tagged));
          expect(jsonBytes(tagged)).toBeLessThanOrEqual(exact + SCHEMA_VERSION_BYTES);
        }
      }
    }
  });

  it('counts UTF-8 bytes like an encoder, ASCII or not', () => {
    for (const text of ['', 'plain', 'é', '中文', '🌊', 'a🌊b', JSON.stringify(awkward)]) {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).byteLength);
    }
  });
});
