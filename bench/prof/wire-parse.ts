// Microbench: parse the same 100-record pull answer with the core's zod/mini wire schema and
// with the classic-zod schema it replaced (rebuilt here from 1bab952:src/core/wire.ts, the pull
// answer's part), interleaved in one process. Prints CPU ns per record, medians of ROUNDS turns.
// `ROUNDS=15 K=300 npx tsx bench/prof/wire-parse.ts`
import { z } from 'zod';
import { isHlc } from '../../src/core/hybrid-logical-clock.js';
import { findUnsafeKey, isScreenedParse } from '../../src/core/unsafe-keys.js';
import { pullResponseSchema } from '../../src/core/wire.js';
import { safeParseSchema } from '../../src/core/schema-parse.js';
import { todoFields } from '../workload.js';

const k = Number(process.env['K'] ?? 300);
const rounds = Number(process.env['ROUNDS'] ?? 15);
const records = 100;

// --- The classic schema (1bab952), the pull answer's part.
const id = z.string().min(1).max(128);
const hlc = z.string().refine(isHlc, 'expected a hybrid logical clock timestamp');
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
const wireData = z
  .custom<Record<string, unknown>>(isObject, 'expected an object')
  .superRefine((v, ctx) => {
    if (isScreenedParse()) return;
    const bad = findUnsafeKey(v);
    if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `forbidden key at ${bad}` });
  });
const wireFieldClocks = z
  .custom<Record<string, unknown>>(isObject, 'expected an object')
  .superRefine((v, ctx) => {
    if (isScreenedParse()) return;
    const bad = findUnsafeKey(v);
    if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `forbidden key at ${bad}` });
  })
  .pipe(z.record(z.string().max(256), hlc));
const wireRecordSchema = z.object({
  collection: id,
  id,
  version: count,
  data: wireData,
  hlc,
  fieldClocks: wireFieldClocks,
  deleted: z.boolean(),
  updatedAt: count,
  originClientId: id.nullable(),
  originId: id.nullable(),
  schemaVersion: count.min(1).optional(),
});
const classicPull = z.object({
  protocol: z.literal(1),
  changes: z.array(wireRecordSchema),
  skipped: z
    .array(
      z.object({
        collection: id,
        id,
        version: count,
        bytes: count,
        code: z.literal('record_too_large'),
      }),
    )
    .optional(),
  removed: z.array(z.object({ collection: id, id, version: count })).optional(),
  cursor: z.string().min(1).max(1024),
  hasMore: z.boolean(),
  remaining: count.optional(),
  reset: z.boolean(),
  serverTime: count.optional(),
  maxClockDriftMs: count.optional(),
});

// --- The answer.
const stamp = '001700000000000:000000:client-aaaaaaaaaaaaaaaa';
const body = JSON.stringify({
  protocol: 1,
  changes: Array.from({ length: records }, (_, i) => {
    const data = todoFields(i);
    return {
      collection: 'todos',
      id: `01HZZZZZZZZZZZZZZZZ${String(i).padStart(7, '0')}`,
      version: 1,
      data,
      hlc: stamp,
      fieldClocks: Object.fromEntries(Object.keys(data).map((key) => [key, stamp])),
      deleted: false,
      updatedAt: 1700000000000,
      originClientId: 'client-aaaaaaaaaaaaaaaa',
      originId: `01HYYYYYYYYYYYYYYYY${String(i).padStart(7, '0')}`,
      schemaVersion: 1,
    };
  }),
  cursor: 'c1',
  hasMore: false,
  reset: false,
  serverTime: 1700000000000,
});

type Case = { name: string; parse: (v: unknown) => { success: boolean } };
const cases: Case[] = [
  { name: 'classic schema.safeParse', parse: (v) => classicPull.safeParse(v) },
  { name: 'mini safeParseSchema', parse: (v) => safeParseSchema(pullResponseSchema, v) },
];
// BASE: another checkout's src folder (e.g. /work/main/src), its mini schema measured too.
const base = process.env['BASE'];
if (base) {
  const wire = (await import(`${base}/core/wire.ts`)) as typeof import('../../src/core/wire.js');
  const sp = (await import(
    `${base}/core/schema-parse.ts`
  )) as typeof import('../../src/core/schema-parse.js');
  cases.push({
    name: `mini safeParseSchema (${base})`,
    parse: (v) => sp.safeParseSchema(wire.pullResponseSchema, v),
  });
}
for (const c of cases) {
  if (!c.parse(JSON.parse(body)).success) throw new Error(`${c.name}: the answer did not parse`);
}
const values = Array.from({ length: k }, () => JSON.parse(body) as unknown);
const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (let round = 0; round < rounds + 2; round++) {
  // Each round starts with the next case, so none always runs first.
  for (let j = 0; j < cases.length; j++) {
    const c = cases[(round + j) % cases.length]!;
    // CPU time, not wall time: on a loaded machine the process is descheduled part of a turn.
    const start = process.cpuUsage();
    for (let i = 0; i < k; i++) c.parse(values[i]);
    const used = process.cpuUsage(start);
    const ns = ((used.user + used.system) * 1000) / k / records;
    if (round >= 2) times.get(c.name)!.push(ns);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const c of cases) {
  const xs = times.get(c.name)!;
  console.log(
    `${c.name.padEnd(40)} median ${median(xs).toFixed(0).padStart(6)} ns/record  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`,
  );
}
