import type { LiveBenchResult } from './live-latency.js';

export { runLiveBench } from './live-latency.js';
export type { LiveBenchResult } from './live-latency.js';

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const met = (ok: boolean) => (ok ? 'met' : '**missed**');

/** The live workload's section of docs/benchmarks.md: targets of issue 18, then the figures. */
export function liveSection(result: LiveBenchResult, load: number): string {
  const [one, cross] = result.latencies;
  const rows: string[] = ['| target (issue 18) | measured | |', '|---|---|---|'];
  if (one) {
    rows.push(
      `| one instance, ${one.streams} live streams: p50 ≤ 20 ms | ${ms(one.p50Ms)} ms | ${met(one.p50Ms <= 20)} |`,
    );
    rows.push(
      `| one instance, ${one.streams} live streams: p99 ≤ 100 ms | ${ms(one.p99Ms)} ms | ${met(one.p99Ms <= 100)} |`,
    );
  }
  if (cross) {
    rows.push(
      `| two instances on one Postgres: p50 ≤ 50 ms | ${ms(cross.p50Ms)} ms | ${met(cross.p50Ms <= 50)} |`,
    );
  }
  const kb = result.idle.heapBytes / 1024;
  rows.push(
    `| server memory per idle live stream < 50 KB | ${kb.toFixed(1)} KB heap (${(result.idle.rssBytes / 1024).toFixed(1)} KB RSS) over ${result.idle.streams} streams | ${met(kb < 50)} |`,
  );
  const figures = [
    '| setting | writes | p50 | p99 | max |',
    '|---|---|---|---|---|',
    ...result.latencies.map(
      (l) =>
        `| ${l.setting} | ${l.writes} | ${ms(l.p50Ms)} ms | ${ms(l.p99Ms)} ms | ${ms(l.maxMs)} ms |`,
    ),
  ];
  return [
    '## Live sync (issue 18)',
    '',
    "Write on device A (`writeTrigger({ debounceMs: 0 })`) to visible in device B's live query " +
      '(`liveTrigger()`), one write at a time, each over HTTP to server processes of their own; the ' +
      "idle streams are other users' (nothing they may see is written). Memory per idle stream is " +
      "the server's heap after a full GC (and its RSS), before and after opening them. " +
      `1-minute load average at the end: ${load.toFixed(1)}.`,
    '',
    ...rows,
    '',
    ...figures,
    ...(result.notes.length ? ['', ...result.notes.map((n) => `- ${n}`)] : []),
  ].join('\n');
}
