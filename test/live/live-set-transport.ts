// Shared pieces of the live sync-set tests: a set-synced collection, and a transport whose live
// streams stay open until aborted, recording the body each stream was opened with.
import { z } from 'zod';
import { defineCollection } from 'tidesync';
import type { StreamEvent, Transport } from 'tidesync';

/** Orders synced by sets on `region`. */
export const orders = defineCollection({
  name: 'orders',
  schema: z.object({ region: z.string() }),
  sync: 'sets',
  indexes: ['region'],
});

/** A transport whose live streams stay open until aborted, recording each stream's body. */
export function recordingTransport() {
  const bodies: Record<string, unknown>[] = [];
  const transport: Transport = {
    async send(kind) {
      if (kind === 'pull') return { protocol: 1, changes: [], cursor: 'c', hasMore: false };
      return { protocol: 1, results: [], lastSeq: 0 };
    },
    async openStream(_kind, body, options) {
      bodies.push(body as Record<string, unknown>);
      const signal = options?.signal;
      return {
        async *[Symbol.asyncIterator]() {
          yield { event: 'ready', data: JSON.stringify({ position: 0 }) } satisfies StreamEvent;
          await new Promise<void>((resolve) => {
            if (signal?.aborted) resolve();
            signal?.addEventListener('abort', () => resolve(), { once: true });
          });
        },
      };
    },
  };
  return { transport, bodies };
}
