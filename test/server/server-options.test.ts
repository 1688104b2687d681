import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { TidesyncError, defineCollection } from 'tidesync';
import { createSyncServer, memoryServerStore } from 'tidesync/server';
import type { SyncServerOptions } from 'tidesync/server';

const todos = defineCollection({ name: 'todos', schema: z.object({ title: z.string() }) });

function serverWith(extra: Partial<SyncServerOptions>) {
  return createSyncServer({
    collections: [todos],
    store: memoryServerStore(),
    authorize: () => ({ userId: 'u1' }),
    ...extra,
  });
}

/** The error `createSyncServer` throws for `extra`, or a failure when it throws none. */
function rejection(extra: Partial<SyncServerOptions>): TidesyncError {
  let server: ReturnType<typeof createSyncServer> | undefined;
  try {
    server = serverWith(extra);
  } catch (error) {
    if (error instanceof TidesyncError) return error;
    throw error;
  }
  server.closeLive();
  throw new Error(`createSyncServer accepted ${JSON.stringify(extra)}`);
}

// Each option with its default: the message must name the option, say what it expects, show
// the value given and say what to do (pass a valid number or leave the option out).
const LIMITS = [
  { option: 'maxOpsPerBatch', fallback: 500, set: (v: unknown) => ({ maxOpsPerBatch: v }) },
  { option: 'maxPullLimit', fallback: 1000, set: (v: unknown) => ({ maxPullLimit: v }) },
  {
    option: 'live.heartbeatMs',
    fallback: 15_000,
    set: (v: unknown) => ({ live: { heartbeatMs: v } }),
  },
  {
    option: 'live.maxConnections',
    fallback: 10_000,
    set: (v: unknown) => ({ live: { maxConnections: v } }),
  },
] as const;

describe('createSyncServer option checks', () => {
  describe.each(LIMITS)('$option', ({ option, fallback, set }) => {
    it.each([
      [0, '`0` (number)'],
      [-3, '`-3` (number)'],
      [2.5, '`2.5` (number)'],
      [1e20, '`100000000000000000000` (number)'],
      ['10', '`"10"` (string)'],
    ])('rejects %s with INVALID_OPTION naming the option and what to do', (value, shown) => {
      const error = rejection(set(value) as Partial<SyncServerOptions>);
      expect(error).toBeInstanceOf(TidesyncError);
      expect(error.code).toBe('INVALID_OPTION');
      expect(error.message).toBe(
        `Expected \`${option}\` to be an integer >= 1, got ${shown}. ` +
          `Pass such a number, or leave \`${option}\` out for the default (${fallback}).`,
      );
    });

    it('accepts 1', () => {
      const server = serverWith(set(1) as Partial<SyncServerOptions>);
      expect(typeof server.fetch).toBe('function');
      server.closeLive();
    });
  });

  it.each([
    [-1, '`-1` (number)'],
    [0.5, '`0.5` (number)'],
  ])('rejects live.coalesceMs %s, which may be 0 but not below or fractional', (value, shown) => {
    const error = rejection({ live: { coalesceMs: value } });
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toBe(
      `Expected \`live.coalesceMs\` to be an integer >= 0, got ${shown}. ` +
        'Pass such a number, or leave `live.coalesceMs` out for the default (10).',
    );
    const server = serverWith({ live: { coalesceMs: 0 } });
    expect(typeof server.fetch).toBe('function');
    server.closeLive();
  });
});
