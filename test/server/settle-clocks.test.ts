import { describe, expect, it } from 'vitest';
import { sampleServerRecord } from 'tidesync/testing';
import { encodeHlc } from '../../src/core/index.js';
import { settleClocks } from '../../src/server/op-data.js';
import type { ServerContext } from '../../src/server/server-context.js';

const ctx = (maxClockDriftMs: number) => ({ maxClockDriftMs }) as ServerContext;
const at = (ms: number, counter = 4, node = 'dev1') => encodeHlc({ ms, counter, node });

// A pulled record's clocks come down to its write time plus the allowed drift: the text compare
// that settles most clocks per pulled record must clamp exactly the clocks the parse would.
describe('settleClocks', () => {
  it('keeps clocks up to the limit and brings those above it down, same counter and node', () => {
    const record = sampleServerRecord({
      updatedAt: 1_000_000,
      hlc: at(1_060_001),
      fieldClocks: { title: at(1_060_000), done: at(1_060_001, 9, 'other'), old: at(5) },
    });
    const settled = settleClocks(record, ctx(60_000));
    expect(settled.hlc).toBe(at(1_060_000));
    expect(settled.fieldClocks).toEqual({
      title: at(1_060_000),
      done: at(1_060_000, 9, 'other'),
      old: at(5),
    });
    expect(record.fieldClocks['done']).toBe(at(1_060_001, 9, 'other'));
  });

  it('answers a record whose clocks are all within the limit as it is', () => {
    const record = sampleServerRecord({
      updatedAt: 1_000_000,
      hlc: at(1_060_000),
      fieldClocks: { title: at(999), done: at(1_060_000, 0, 'zzzz') },
    });
    expect(settleClocks(record, ctx(60_000))).toBe(record);
  });

  it('clamps nothing under a limit past every clock (no 15-digit text form)', () => {
    const record = sampleServerRecord({
      updatedAt: 1,
      hlc: at(999_999_999_999_999),
      fieldClocks: { title: at(999_999_999_999_999, 35 ** 3) },
    });
    expect(settleClocks(record, ctx(1e15))).toBe(record);
    expect(settleClocks(record, ctx(Number.MAX_SAFE_INTEGER))).toBe(record);
    expect(settleClocks(record, ctx(999_999_999_999_997)).hlc).toBe(at(999_999_999_999_998));
  });

  it('leaves text that is not a clock as it is', () => {
    const record = sampleServerRecord({ updatedAt: 0, hlc: at(0), fieldClocks: { title: 'junk' } });
    expect(settleClocks(record, ctx(10)).fieldClocks).toEqual({ title: 'junk' });
  });
});
