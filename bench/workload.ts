import { z } from 'zod';
import { defineCollection, fieldMerge, lastWriteWins, manual } from 'tidesync';

/** The fields of a benchmark record besides `id` and `updatedAt` (the record shape). */
export type TodoFields = {
  title: string;
  done: boolean;
  priority: number;
  tags: string[];
};

/** A benchmark record as the peers store it: the fields plus `id` and `updatedAt`. */
export type TodoDoc = TodoFields & {
  id: string;
  updatedAt: number;
};

const TAGS = ['home', 'work', 'urgent', 'later', 'errand', 'idea'];

/** Fields of record `i`: a 40-character title, priority 0-4, two short tags. */
export function todoFields(i: number): TodoFields {
  return {
    title: `todo ${String(i).padStart(7, '0')} `.padEnd(40, 'x'),
    done: i % 3 === 0,
    priority: i % 5,
    tags: [TAGS[i % TAGS.length]!, TAGS[(i + 1) % TAGS.length]!],
  };
}

/** Record `i` with an id and a timestamp, for the raw baselines and the peers. */
export function todoDoc(i: number, prefix = 'r'): TodoDoc {
  return {
    id: `${prefix}${String(i).padStart(7, '0')}`,
    updatedAt: 1_700_000_000_000 + i,
    ...todoFields(i),
  };
}

/** The bench record's schema (issue 10's shape; `id` and `updatedAt` are metadata). */
export const todoSchema = z.object({
  title: z.string(),
  done: z.boolean(),
  priority: z.number().int().min(0).max(4),
  tags: z.array(z.string()),
});

/** The `todos` collection under a given conflict strategy. */
export function todosCollection(
  strategy: 'fieldMerge' | 'lastWriteWins' | 'manual' = 'fieldMerge',
) {
  const conflict =
    strategy === 'manual'
      ? manual()
      : strategy === 'lastWriteWins'
        ? lastWriteWins()
        : fieldMerge();
  return defineCollection({ name: 'todos', schema: todoSchema, conflict });
}

/** Whether this is a short smoke run (`BENCH_QUICK=1`). */
export const QUICK = process.env['BENCH_QUICK'] === '1';

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Milliseconds that `fn` takes. */
export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Runs `measure` `runs` times (after a GC when exposed) and returns every sample. */
export async function sample(runs: number, measure: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    (globalThis as { gc?: () => void }).gc?.();
    out.push(await measure());
  }
  return out;
}
