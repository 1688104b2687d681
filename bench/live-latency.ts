// The live workload (issue 18): write on device A (writeTrigger) to visible in device B's live
// query, over HTTP to server processes of their own; on one instance with 1,000 live streams
// open, and across two instances on one Postgres; plus server memory per idle live stream.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createSyncClient, httpTransport, liveTrigger, writeTrigger } from 'tidesync';
import type { SyncClient } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { liveCollections } from './live-collections.js';

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

/** Latency of one setting: every write's ms from `insert()` to B's live query showing it. */
export interface LiveLatency {
  readonly setting: string;
  readonly writes: number;
  /** Live streams open on the server(s) during the writes, A's and B's included. */
  readonly streams: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** What the live workload measured. */
export interface LiveBenchResult {
  readonly latencies: LiveLatency[];
  /** Server memory per idle stream: heap after GC and RSS, over `idleStreams` streams. */
  readonly idle: {
    readonly streams: number;
    readonly heapBytes: number;
    readonly rssBytes: number;
  };
  readonly notes: string[];
}

interface ServerChild {
  readonly url: string;
  mem(): Promise<{ heapUsed: number; rss: number }>;
  close(): Promise<void>;
}

async function startChild(env: Record<string, string>): Promise<ServerChild> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', root('bench/live-server-child.ts')],
    { cwd: root(''), env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, number>> => {
    const line = await lines.next();
    if (line.done) throw new Error('live server child exited');
    return JSON.parse(line.value) as Record<string, number>;
  };
  const { port } = await next();
  return {
    url: `http://127.0.0.1:${port}/sync`,
    mem: async () => {
      child.stdin.write('mem\n');
      const m = await next();
      return { heapUsed: m['heapUsed']!, rss: m['rss']! };
    },
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.write('exit\n');
      }),
  };
}

/** Opens `count` idle live streams of other users (nothing they may see is written). */
async function openIdleStreams(url: string, count: number): Promise<() => void> {
  const abort = new AbortController();
  const batch = 50;
  for (let start = 0; start < count; start += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, async (_, k) => {
        const response = await fetch(`${url}/live`, {
          method: 'POST',
          headers: {
            authorization: `Bearer idle-${start + k}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ protocol: 1 }),
          signal: abort.signal,
        });
        const reader = response.body!.getReader();
        await reader.read(); // `ready`: the stream is registered
        void (async () => {
          for (;;) if ((await reader.read()).done) return;
        })().catch(() => undefined);
      }),
    );
  }
  return () => abort.abort();
}

function device(url: string, triggers: Parameters<typeof createSyncClient>[0]['triggers']) {
  return createSyncClient({
    collections: liveCollections,
    storage: memoryAdapter(),
    transport: httpTransport({ url, headers: { authorization: 'Bearer alice' } }),
    triggers: triggers ?? [],
  });
}

/** Resolves when B's live query shows the note with `seq`. */
function watcher(b: SyncClient) {
  let latest = 0;
  const waiters = new Map<number, () => void>();
  b.collection('notes').subscribe({ orderBy: [['seq', 'desc']], limit: 1 }, (rows) => {
    const seq = Number(rows[0]?.['seq'] ?? 0);
    latest = Math.max(latest, seq);
    for (const [want, resolve] of waiters) {
      if (want <= latest) {
        waiters.delete(want);
        resolve();
      }
    }
  });
  return (seq: number) =>
    seq <= latest ? Promise.resolve() : new Promise<void>((r) => waiters.set(seq, r));
}

async function measure(
  setting: string,
  urlA: string,
  urlB: string,
  writes: number,
  streams: number,
): Promise<LiveLatency> {
  const a = await device(urlA, [writeTrigger({ debounceMs: 0 })]);
  const b = await device(urlB, [liveTrigger()]);
  try {
    const seen = watcher(b);
    await new Promise<void>((resolve) => {
      const check = () => b.status.live === 'connected' && resolve();
      b.on('status', check);
      check();
    });
    const samples: number[] = [];
    const warmup = Math.min(50, Math.ceil(writes / 10));
    for (let seq = 1; seq <= warmup + writes; seq += 1) {
      const t0 = performance.now();
      await a.collection('notes').insert({ text: `note ${seq}`, seq });
      await seen(seq);
      if (seq > warmup) samples.push(performance.now() - t0);
    }
    samples.sort((x, y) => x - y);
    const at = (q: number) =>
      samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
    return {
      setting,
      writes,
      streams,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: samples[samples.length - 1]!,
    };
  } finally {
    await a.close();
    await b.close();
  }
}

/** Runs the live workload; `pgUrl` adds the two-instance figure. */
export async function runLiveBench(options: {
  readonly writes: number;
  readonly idleStreams: number;
  readonly dir: string;
  readonly pgUrl: string | undefined;
}): Promise<LiveBenchResult> {
  const notes: string[] = [];
  const latencies: LiveLatency[] = [];
  const one = await startChild({ LIVE_DB: join(options.dir, 'live.db') });
  let idle: LiveBenchResult['idle'];
  try {
    const closeWarm = await openIdleStreams(one.url, 10);
    const before = await one.mem();
    const closeIdle = await openIdleStreams(one.url, options.idleStreams);
    const after = await one.mem();
    idle = {
      streams: options.idleStreams,
      heapBytes: (after.heapUsed - before.heapUsed) / options.idleStreams,
      rssBytes: (after.rss - before.rss) / options.idleStreams,
    };
    latencies.push(
      await measure(
        `one server process (SQLite store), ${options.idleStreams + 12} live streams open`,
        one.url,
        one.url,
        options.writes,
        options.idleStreams + 12,
      ),
    );
    closeIdle();
    closeWarm();
  } finally {
    await one.close();
  }
  if (options.pgUrl) {
    const schema = `bench_live_${process.pid}_${Date.now().toString(36)}`;
    const env = { LIVE_PG_URL: options.pgUrl, LIVE_PG_SCHEMA: schema };
    const first = await startChild(env);
    const second = await startChild(env);
    try {
      latencies.push(
        await measure(
          'two server processes on one Postgres: A writes through one, B listens on the other',
          first.url,
          second.url,
          options.writes,
          2,
        ),
      );
    } finally {
      await first.close();
      await second.close();
      const pool = new pg.Pool({ connectionString: options.pgUrl, max: 1 });
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
  } else {
    notes.push('Live across instances not measured: TIDESYNC_PG_URL was not set.');
  }
  return { latencies, idle, notes };
}
