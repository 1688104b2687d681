import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { closeServer, listen } from './tidesync-server.js';

const require = createRequire(import.meta.url);

/** A peer's server on 127.0.0.1. */
export interface PeerServer {
  readonly url: string;
  count(): Promise<number>;
  close(): Promise<void>;
}

/** A document as the RxDB endpoint stores it. */
type MasterDoc = Record<string, unknown> & { id: string; updatedAt: number; _deleted: boolean };

interface PushRow {
  assumedMasterState?: MasterDoc;
  newDocumentState: MasterDoc;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null);
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The small HTTP endpoint RxDB's replication docs describe: `POST /push` takes rows of
 * `{ assumedMasterState, newDocumentState }` and answers the conflicting master documents;
 * `GET /pull?seq=&limit=` answers documents changed after a checkpoint. In memory, ordered by
 * a write sequence, conflict check on `updatedAt` as in RxDB's example.
 */
export async function startRxdbEndpoint(): Promise<PeerServer> {
  const docs = new Map<string, { doc: MasterDoc; seq: number }>();
  const log: string[] = []; // log[seq - 1] = id written at seq (stale entries skipped on pull)
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'POST' && url.pathname === '/push') {
        const rows = (await readJson(req)) as PushRow[];
        const conflicts: MasterDoc[] = [];
        for (const row of rows) {
          const master = docs.get(row.newDocumentState.id)?.doc;
          if (
            master &&
            (!row.assumedMasterState || row.assumedMasterState.updatedAt !== master.updatedAt)
          ) {
            conflicts.push(master);
            continue;
          }
          log.push(row.newDocumentState.id);
          docs.set(row.newDocumentState.id, { doc: row.newDocumentState, seq: log.length });
        }
        reply(res, conflicts);
        return;
      }
      if (req.method === 'GET' && url.pathname === '/pull') {
        let seq = Number(url.searchParams.get('seq') ?? 0);
        const limit = Number(url.searchParams.get('limit') ?? 100);
        const documents: MasterDoc[] = [];
        while (seq < log.length && documents.length < limit) {
          seq += 1;
          const entry = docs.get(log[seq - 1]!);
          if (entry && entry.seq === seq) documents.push(entry.doc);
        }
        reply(res, { documents, checkpoint: { seq } });
        return;
      }
      res.writeHead(404).end();
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    count: async () => [...docs.values()].filter((e) => !e.doc._deleted).length,
    close: () => closeServer(server),
  };
}

/** The PouchDB constructor with the memory adapter, as a CommonJS module gives it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PouchStatic = any;

let pouch: PouchStatic;

/** PouchDB with the in-memory adapter registered. */
export function pouchDb(): PouchStatic {
  if (!pouch) {
    pouch = require('pouchdb') as PouchStatic;
    pouch.plugin(require('pouchdb-adapter-memory'));
  }
  return pouch;
}

/**
 * A local PouchDB database on the memory adapter. (Not `PouchDB.defaults({ adapter })`: that
 * would also open replication targets given as URLs in memory instead of over HTTP.)
 */
export function localPouch(name: string): PouchStatic {
  const PouchDB = pouchDb();
  return new PouchDB(name, { adapter: 'memory' });
}

let dbCounter = 0;

/**
 * A PouchDB server (express-pouchdb, the engine of pouchdb-server) over the memory adapter,
 * with one fresh database; `url` is that database's URL.
 */
export async function startPouchServer(): Promise<PeerServer> {
  const express = require('express') as () => {
    use(path: string, handler: unknown): void;
    (req: IncomingMessage, res: ServerResponse): void;
  };
  const expressPouchDb = require('express-pouchdb') as (p: PouchStatic, o: object) => unknown;
  const Pouch = pouchDb().defaults({ adapter: 'memory' });
  const app = express();
  app.use(
    '/',
    expressPouchDb(Pouch, {
      mode: 'minimumForPouchDB',
      inMemoryConfig: true,
      logPath: '/dev/null',
    }),
  );
  const server = createServer(app);
  const port = await listen(server);
  dbCounter += 1;
  const name = `bench${dbCounter}`;
  const url = `http://127.0.0.1:${port}/${name}`;
  const created = await fetch(url, { method: 'PUT' });
  if (!created.ok) throw new Error(`PouchDB server: creating ${name} answered ${created.status}`);
  return {
    url,
    count: async () => ((await (await fetch(url)).json()) as { doc_count: number }).doc_count,
    close: async () => {
      await fetch(url, { method: 'DELETE' });
      await closeServer(server);
    },
  };
}
