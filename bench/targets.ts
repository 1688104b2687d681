import type { BundleSize } from './bundle-size.js';
import { targetTable, type Figure, type TargetResult } from './report.js';
import { median } from './workload.js';

const x = (v: number) => `${v.toFixed(2)}x`;

/**
 * Compares the run's figures with the targets of issue 10 (and issue 17's app bundle, when
 * given) and renders them as a table.
 */
export function evaluateTargets(
  figures: readonly Figure[],
  size: BundleSize,
  sizes: readonly number[],
  app?: BundleSize,
): string {
  const find = (workload: string, name: string, n?: number) =>
    figures.find(
      (f) => f.workload === workload && f.name.startsWith(name) && (n === undefined || f.n === n),
    );
  const out: TargetResult[] = [];
  const ratio = (
    target: string,
    ours: Figure | undefined,
    base: Figure | undefined,
    max: number,
  ) => {
    if (!ours || !base) {
      out.push({ target, measured: 'missing figure', met: undefined });
      return;
    }
    // Paired figures come from the same runs: the median of the per-run ratios.
    const paired = ours.samples.length === base.samples.length;
    const r = paired ? median(ours.samples.map((v, i) => v / base.samples[i]!)) : ours.ms / base.ms;
    out.push({
      target,
      measured: `${x(r)} (medians ${ours.ms.toFixed(0)} ms vs ${base.ms.toFixed(0)} ms${paired ? '; median of per-run ratios' : ''})`,
      met: r <= max,
    });
  };
  ratio(
    'W1 SQLite: insert with its outbox op ≤ 2x a raw autocommit insert',
    find('W1', 'tidesync sqlite: insert one at a time'),
    find('W1', 'raw better-sqlite3: autocommit insert'),
    2,
  );
  ratio(
    'W1 SQLite: insertMany ≤ 1.5x a raw single-transaction insert',
    find('W1', 'tidesync sqlite: insertMany'),
    find('W1', 'raw better-sqlite3: all rows in one transaction'),
    1.5,
  );
  const n = figures.find((f) => f.name.startsWith('RxDB'))?.n ?? 0;
  const peers = [
    ['RxDB', find('W2', 'RxDB', n), find('W3', 'RxDB', n)],
    ['PouchDB', find('W2', 'PouchDB', n), find('W3', 'PouchDB', n)],
  ] as const;
  const ours: [string, Figure | undefined][] = [
    [
      'W2 push, SQLite client, SQLite store',
      find('W2', 'tidesync (SQLite client) → SQLite store', n),
    ],
    [
      'W2 push, memory client (like the peers), SQLite store',
      find('W2', 'tidesync (memory client) → SQLite store', n),
    ],
    [
      'W2 push, SQLite client, Postgres store',
      find('W2', 'tidesync (SQLite client) → Postgres store', n),
    ],
    ['W3 pull into memory', find('W3', 'tidesync, SQLite store: fresh tidesync-memory replica', n)],
    ['W3 pull into SQLite', find('W3', 'tidesync, SQLite store: fresh tidesync-sqlite replica', n)],
  ];
  for (const [label, fig] of ours) {
    for (const [peer, push, pull] of peers) {
      const base = label.startsWith('W2') ? push : pull;
      if (!fig || !base) {
        out.push({
          target: `${label}: ≥ 5x the throughput of ${peer}`,
          measured: 'not measured',
          met: undefined,
        });
        continue;
      }
      const speedup = base.ms / fig.ms;
      out.push({
        target: `${label}: ≥ 5x the throughput of ${peer}`,
        measured: `${x(speedup)} (${fig.ms.toFixed(0)} ms vs ${base.ms.toFixed(0)} ms, ${n.toLocaleString('en-US')} records)`,
        met: speedup >= 5,
      });
    }
  }
  const big = Math.max(...sizes);
  const small = Math.min(...sizes);
  for (const replica of ['tidesync-sqlite', 'tidesync-memory']) {
    const f = find('W3', `tidesync, SQLite store: fresh ${replica} replica`, big);
    out.push({
      target: `${big.toLocaleString('en-US')}-record pull into ${replica.slice(9)} under 150 MB peak RSS`,
      measured: f?.peakRssMb === undefined ? 'not measured' : `${f.peakRssMb.toFixed(0)} MB`,
      met: f?.peakRssMb === undefined || big < 100_000 ? undefined : f.peakRssMb < 150,
    });
  }
  if (big >= 100_000) {
    const capped = find('W3', 'tidesync, SQLite store: fresh tidesync-sqlite-heap64 replica', big);
    out.push({
      target: `${big.toLocaleString('en-US')}-record pull into sqlite with the V8 heap capped at 64 MB completes (live memory bounded by page size)`,
      measured: capped
        ? `completed, peak RSS ${capped.peakRssMb?.toFixed(0)} MB`
        : 'ran out of memory',
      met: capped !== undefined,
    });
  }
  const growth = (label: string, workload: string, name: string) => {
    const a = find(workload, name, small);
    const largest = Math.max(...sizes.filter((size) => find(workload, name, size)));
    const b = find(workload, name, largest);
    if (!a || !b || b.n === small) {
      out.push({ target: `Growth, ${label}`, measured: 'not measured', met: undefined });
      return;
    }
    const r = b.ms / b.n / (a.ms / a.n);
    const steps = sizes
      .map((size) => find(workload, name, size))
      .filter((f): f is Figure => f !== undefined)
      .map((f) => ((f.ms * 1000) / f.n).toFixed(0));
    out.push({
      target: `Growth, ${label}: per-record cost at ${b.n.toLocaleString('en-US')} ≤ 1.3x that at ${small.toLocaleString('en-US')}`,
      measured: `${x(r)} (${steps.join(' → ')} µs/record at ${sizes
        .filter((size) => find(workload, name, size))
        .map((size) => size.toLocaleString('en-US'))
        .join(' / ')})`,
      met: r <= 1.3,
    });
  };
  growth('W2 push to SQLite store', 'W2', 'tidesync (SQLite client) → SQLite store');
  growth('W3 pull into memory', 'W3', 'tidesync, SQLite store: fresh tidesync-memory replica');
  growth('W3 pull into SQLite', 'W3', 'tidesync, SQLite store: fresh tidesync-sqlite replica');
  out.push({
    target: 'Core entry (tidesync) under 15 KB min+gzip, zod excluded',
    measured: `${(size.gzipBytes / 1024).toFixed(1)} KB`,
    met: size.gzipBytes < 15 * 1024,
  });
  if (app) {
    out.push({
      target:
        'App bundle (issue 17: client, httpTransport, memory adapter, zod/mini) ≤ 20 KB min+gzip',
      measured: `${(app.gzipBytes / 1024).toFixed(1)} KB`,
      met: app.gzipBytes <= 20 * 1024,
    });
  }
  return targetTable(out);
}
