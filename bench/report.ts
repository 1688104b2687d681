/** One measured figure: the median of several runs of one thing on one workload. */
export interface Figure {
  readonly workload: string;
  readonly name: string;
  /** Records in the workload. */
  readonly n: number;
  /** Median wall time in milliseconds. */
  readonly ms: number;
  readonly samples: readonly number[];
  /** Peak RSS in MB, where measured (in a child process). */
  readonly peakRssMb?: number;
  readonly note: string;
}

/** Formats a number of milliseconds for a table. */
export function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** Records per second for a figure. */
export function perSecond(f: Figure): number {
  return f.ms > 0 ? (f.n * 1000) / f.ms : Infinity;
}

/** Microseconds per record for a figure. */
export function usPerRecord(f: Figure): number {
  return (f.ms * 1000) / f.n;
}

/** A markdown table of figures. */
export function figureTable(figures: readonly Figure[]): string {
  const lines = [
    '| workload | what | records | median ms | µs/record | records/s | peak RSS MB | runs (ms) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const f of figures) {
    lines.push(
      `| ${f.workload} | ${f.name}${f.note ? ` (${f.note})` : ''} | ${f.n.toLocaleString('en-US')} | ${fmtMs(f.ms)} | ${usPerRecord(f).toFixed(1)} | ${Math.round(perSecond(f)).toLocaleString('en-US')} | ${f.peakRssMb === undefined ? '' : f.peakRssMb.toFixed(0)} | ${f.samples.map(fmtMs).join(', ')} |`,
    );
  }
  return lines.join('\n');
}

/** A target of the issue, with where we stand. */
export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

/** A markdown table of targets. */
export function targetTable(targets: readonly TargetResult[]): string {
  const lines = ['| target | measured | met |', '| --- | --- | --- |'];
  for (const t of targets) {
    const met = t.met === undefined ? 'not measured' : t.met ? 'yes' : '**no**';
    lines.push(`| ${t.target} | ${t.measured} | ${met} |`);
  }
  return lines.join('\n');
}
