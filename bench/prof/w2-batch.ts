// W2 (10,000 offline-created records, one `sync()` over loopback HTTP) at several push batch
// sizes, lean push results on and off, interleaved in one process (A/B in one sitting).
//   SIZES=50,100,200,500,1000 KINDS=sqlite/sqlite,memory/sqlite,sqlite/postgres ROUNDS=2 \
//   LEAN=on,off N=10000 npx tsx bench/prof/w2-batch.ts
// KINDS=memory/memory: memory client, memory server store, in process through `server.fetch`.
// A "lean off" client's transport drops the push request's `lean` flag, so the server answers
// every op with its whole record, as it does for clients from before the flag.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Transport } from 'tidesync';
import { createSyncClient, directTransport, httpTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import {
  createSyncServer,
  memoryServerStore,
  postgresServerStore,
  sqliteServerStore,
} from 'tidesync/server';
import { closeServer, listen } from '../tidesync-server.js';
import { createOffline } from '../tidesync-sync.js';
import { todosCollection } from '../workload.js';

const n = Number(process.env.N ?? 10_000);
const rounds = Number(process.env.ROUNDS ?? 2);
const sizes = (process.env.SIZES ?? '50,100,200,500,1000').split(',').map(Number);
const kinds = (process.env.KINDS ?? 'sqlite/sqlite,memory/sqlite,sqlite/postgres').split(',');
const leans = (process.env.LEAN ?? 'on,off').split(',');
const batchBytes = process.env.BATCH_BYTES ? Number(process.env.BATCH_BYTES) : undefined;
const pgUrl = process.env.TIDESYNC_PG_URL;
const dir = mkdtempSync(join(tmpdir(), 'w2batch-'));
let counter = 0;

async function startServer(store: string) {
  counter += 1;
  let cleanup: () => Promise<void>;
  let serverStore;
  if (store === 'memory') {
    serverStore = memoryServerStore();
    cleanup = async () => {};
  } else if (store === 'sqlite') {
    const db = new Database(join(dir, `server${counter}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    serverStore = sqliteServerStore(db);
    cleanup = async () => void db.close();
  } else {
    const schema = `w2batch_${process.pid}_${counter}`;
    const pool = new pg.Pool({ connectionString: pgUrl, max: 4 });
    serverStore = postgresServerStore(pool, { schema });
    cleanup = async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    };
  }
  const sync = createSyncServer({
    collections: [todosCollection()],
    store: serverStore,
    authorize: () => ({ userId: 'bench' }),
    maxOpsPerBatch: 1000,
  });
  const http = createServer(sync.nodeHandler);
  const port = await listen(http);
  return {
    url: `http://127.0.0.1:${port}/sync`,
    fetch: (request: Request) => sync.fetch(request),
    close: async () => {
      await closeServer(http);
      await cleanup();
    },
  };
}

/** A transport that drops the push request's `lean` flag (a client from before it). */
function withoutLean(inner: Transport): Transport {
  return {
    send: (kind, body, options) => {
      if (kind !== 'push') return inner.send(kind, body, options);
      const { lean: _lean, ...rest } = body as Record<string, unknown>;
      return inner.send(kind, rest, options);
    },
  };
}

async function trial(kind: string, size: number, lean: string) {
  const [clientKind, store] = kind.split('/') as [string, string];
  const server = await startServer(store);
  counter += 1;
  // A memory store is reached in process (no HTTP): the client's and server's CPU alone.
  const http =
    store === 'memory'
      ? directTransport({ fetch: server.fetch })
      : httpTransport({ url: server.url });
  const client = await createSyncClient({
    collections: [todosCollection()],
    storage:
      clientKind === 'memory'
        ? memoryAdapter()
        : sqliteAdapter({
            driver: betterSqlite3Driver(new Database(join(dir, `client${counter}.db`))),
          }),
    transport: lean === 'on' ? http : withoutLean(http),
    triggers: [],
    batchSize: size,
    ...(batchBytes ? { batchBytes } : {}),
  } as Parameters<typeof createSyncClient>[0]);
  await createOffline(client, n);
  let pushEnd = 0;
  client.on('progress', (e) => {
    if (e.phase === 'push') pushEnd = performance.now();
  });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let pushCpu = 0;
  client.on('progress', (e) => {
    if (e.phase === 'push') {
      const c = process.cpuUsage(c0);
      pushCpu = (c.user + c.system) / 1000;
    }
  });
  const r = await client.sync();
  const total = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  await client.close();
  await server.close();
  if (r.pushed !== n) throw new Error(`pushed ${r.pushed}, expected ${n}`);
  return { total, push: pushEnd - t0, cpu: (cpu.user + cpu.system) / 1000, pushCpu };
}

const results = new Map<
  string,
  { total: number[]; push: number[]; cpu: number[]; pushCpu: number[] }
>();
for (let round = 0; round < rounds; round += 1) {
  for (const kind of kinds) {
    for (const size of sizes) {
      for (const lean of leans) {
        const key = `${kind} size=${size} lean=${lean}`;
        const r = await trial(kind, size, lean);
        const entry = results.get(key) ?? { total: [], push: [], cpu: [], pushCpu: [] };
        entry.total.push(r.total);
        entry.push.push(r.push);
        entry.cpu.push(r.cpu);
        entry.pushCpu.push(r.pushCpu);
        results.set(key, entry);
        console.log(
          `round ${round} ${key}: sync ${Math.round(r.total)} ms (cpu ${Math.round(r.cpu)}), push ${Math.round(r.push)} ms (cpu ${Math.round(r.pushCpu)}), load ${loadavg()[0]!.toFixed(2)}`,
        );
      }
    }
  }
}
const min = (xs: number[]) => Math.round(Math.min(...xs));
console.log('\nbest over rounds: sync wall / push wall / sync cpu / push cpu (ms, this process):');
for (const [key, { total, push, cpu, pushCpu }] of results) {
  console.log(`${key}: ${min(total)} / ${min(push)} / ${min(cpu)} / ${min(pushCpu)}`);
}
rmSync(dir, { recursive: true, force: true });
