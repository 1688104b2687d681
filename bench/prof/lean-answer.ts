// A/B aid for lean push results: CPU of the part of a push answer that lean results change, for
// BATCH applied inserts, REPS times each way, interleaved: the server's answer (lean decision,
// JSON text), the client's JSON parse, wire-schema parse, and then per result either the
// collection-schema check of the sent record (full) or the record rebuilt from the op (lean).
// `BATCH=500 REPS=200 npx tsx bench/prof/lean-answer.ts`
import { todoSchema } from '../workload.js';
import {
  defineCollection,
  leanRecord,
  pushResponseSchema,
  safeParseWire,
  toLeanResult,
  type LeanAppliedResult,
  type OpResult,
  type WireOp,
} from '../../src/core/index.js';
import { checkRemoteRecord } from '../../src/client/sync/remote-validation.js';

const batch = Number(process.env['BATCH'] ?? 500);
const reps = Number(process.env['REPS'] ?? 200);
const todos = defineCollection({
  name: 'todos',
  schema: todoSchema,
});
const collections = new Map([[todos.name, todos]]);
const hlc = (i: number) => `001700000000000:${i.toString(36).padStart(6, '0')}:benchclient1`;
const ops: WireOp[] = Array.from({ length: batch }, (_, i) => {
  const data = {
    title: `todo ${String(i).padStart(7, '0')} `.padEnd(40, 'x'),
    done: i % 3 === 0,
    priority: i % 5,
    tags: ['home', 'work'],
  };
  const clocks = Object.fromEntries(Object.keys(data).map((k) => [k, hlc(i)]));
  return {
    opId: `op${i}`,
    seq: i + 1,
    collection: 'todos',
    id: `r${i}`,
    serverId: null,
    type: 'insert',
    data,
    patch: null,
    baseVersion: 0,
    hlc: hlc(i),
    fieldClocks: clocks,
    schemaVersion: 1,
  };
});
// What the server stored: the op's data parsed again (another object with equal content).
const full: OpResult[] = ops.map((op) => ({
  opId: op.opId,
  status: 'applied',
  serverId: op.id,
  version: 1,
  merged: false,
  record: {
    collection: 'todos',
    id: op.id,
    version: 1,
    data: structuredClone(op.data!),
    hlc: op.hlc,
    fieldClocks: { ...op.fieldClocks },
    deleted: false,
    updatedAt: 1_700_000_000_000,
    originClientId: 'benchclient1',
    originId: op.id,
    schemaVersion: 1,
  },
}));

function answer(lean: boolean): number {
  const t = process.cpuUsage();
  const results = lean ? full.map((r, i) => toLeanResult(ops[i]!, r)) : full;
  const text = JSON.stringify({ protocol: 1, results, lastSeq: batch, serverTime: 1 });
  const parsed = safeParseWire(pushResponseSchema, JSON.parse(text));
  if (!parsed.success) throw new Error('bad answer');
  let kept = 0;
  parsed.data.results.forEach((result, i) => {
    if (result.status !== 'applied') return;
    if (result.record) {
      if (!checkRemoteRecord(collections, result.record)) kept += 1;
    } else {
      const record = leanRecord(ops[i]!, result as LeanAppliedResult);
      if (record) kept += 1;
    }
  });
  if (kept !== batch) throw new Error('lost results');
  const used = process.cpuUsage(t);
  return (used.user + used.system) / 1000;
}

const times = { full: [] as number[], lean: [] as number[] };
for (let r = 0; r < reps; r += 1) {
  times.full.push(answer(false));
  times.lean.push(answer(true));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [k, xs] of Object.entries(times)) {
  console.log(
    `${k}: median ${median(xs).toFixed(2)} ms, min ${Math.min(...xs).toFixed(2)} ms per ${batch} results (${((median(xs) * 1000) / batch).toFixed(1)} µs/result)`,
  );
}
