// W1 on an SQLite file, counted: statements per insert and per `insertMany`, WAL frames per
// commit, and the b-tree (table or index) each written page belongs to. Automatic checkpoints
// are off while counting, so the WAL holds every frame written; frame headers name the page.
// `N=2000 npx tsx bench/prof/w1pages.ts`
import {
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSyncClient, httpTransport } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { todoDoc, todoFields, todosCollection } from '../workload.js';

const n = Number(process.env['N'] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'prof-w1-'));

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;

/** Page numbers of the WAL frames from frame `from` on. */
function walPages(walPath: string, pageBytes: number, from: number): number[] {
  const frameBytes = FRAME_HEADER_BYTES + pageBytes;
  const size = statSync(walPath, { throwIfNoEntry: false })?.size ?? 0;
  const frames = Math.max(0, Math.floor((size - WAL_HEADER_BYTES) / frameBytes));
  const fd = openSync(walPath, 'r');
  const header = Buffer.alloc(4);
  const pages: number[] = [];
  for (let i = from; i < frames; i++) {
    readSync(fd, header, 0, 4, WAL_HEADER_BYTES + i * frameBytes);
    pages.push(header.readUInt32BE(0));
  }
  closeSync(fd);
  return pages;
}

/** Which b-tree each page belongs to (`dbstat`), read through a second connection. */
function pageOwners(file: string): Map<number, string> {
  const db = new Database(file, { readonly: true });
  const owners = new Map<number, string>([[1, 'page 1 (header, schema)']]);
  try {
    for (const row of db.prepare('SELECT name, pageno FROM dbstat').all() as {
      name: string;
      pageno: number;
    }[]) {
      owners.set(row.pageno, row.name);
    }
  } finally {
    db.close();
  }
  return owners;
}

async function measure(label: string, work: (file: string) => Promise<number>): Promise<void> {
  const file = join(dir, `${label.replace(/\W+/g, '-')}.db`);
  const commits = await work(file);
  const db = new Database(file, { readonly: true });
  const pageBytes = Number(db.pragma('page_size', { simple: true }));
  db.close();
  const pages = walPages(`${file}-wal`, pageBytes, 0);
  const owners = pageOwners(file);
  const byTree = new Map<string, number>();
  for (const page of pages) {
    const name = owners.get(page) ?? 'freed or other';
    byTree.set(name, (byTree.get(name) ?? 0) + 1);
  }
  console.log(
    `\n${label}: ${commits} commits, ${pages.length} WAL frames, ${(pages.length / commits).toFixed(2)} per commit`,
  );
  for (const [name, count] of [...byTree].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${(count / commits).toFixed(2).padStart(6)} per commit  ${name}`);
  }
}

function noCheckpoints(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
}

async function tidesync(file: string, many: boolean, counts: Map<string, number>) {
  const db = new Database(file);
  noCheckpoints(db);
  const driver = betterSqlite3Driver(db);
  let counting = false;
  for (const name of ['exec', 'run', 'get', 'all'] as const) {
    const orig = driver[name].bind(driver) as (...a: unknown[]) => Promise<unknown>;
    (driver as unknown as Record<string, unknown>)[name] = (sql: string, p?: unknown) => {
      if (counting) {
        const key = `${name} ${sql.slice(0, 70).replace(/\s+/g, ' ')}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return orig(sql, p);
    };
  }
  const storage = sqliteAdapter({ driver });
  const client = await createSyncClient({
    collections: [todosCollection()],
    storage,
    transport: httpTransport({ url: 'http://127.0.0.1:9/sync' }),
    triggers: [],
  });
  // Start counting frames after the set-up commits: checkpoint them away first.
  db.pragma('wal_checkpoint(TRUNCATE)');
  counting = true;
  const todos = client.collection('todos');
  if (many) await todos.insertMany(Array.from({ length: n }, (_, i) => todoFields(i)));
  else for (let i = 0; i < n; i++) await todos.insert(todoFields(i));
  counting = false;
  // Closing checkpoints the WAL away: keep a copy to read afterwards.
  copyFileSync(`${file}-wal`, `${file}-wal.keep`);
  await client.close();
  renameSync(`${file}-wal.keep`, `${file}-wal`);
}

const raw = (file: string, oneTransaction = false): number => {
  const db = new Database(file);
  noCheckpoints(db);
  db.exec('CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT NOT NULL)');
  db.pragma('wal_checkpoint(TRUNCATE)');
  const insert = db.prepare('INSERT INTO rows (id, body) VALUES (?, ?)');
  const all = (): void => {
    for (let i = 0; i < n; i++) insert.run(todoDoc(i).id, JSON.stringify(todoDoc(i)));
  };
  if (oneTransaction) db.transaction(all)();
  else all();
  copyFileSync(`${file}-wal`, `${file}-wal.keep`);
  db.close();
  renameSync(`${file}-wal.keep`, `${file}-wal`);
  return oneTransaction ? 1 : n;
};

try {
  await measure('raw autocommit insert', async (file) => raw(file));
  await measure('raw one-transaction insert', async (file) => raw(file, true));
  for (const many of [false, true]) {
    const counts = new Map<string, number>();
    await measure(many ? 'tidesync insertMany' : 'tidesync insert', async (file) => {
      await tidesync(file, many, counts);
      return many ? 1 : n;
    });
    const per = many ? 1 : n;
    console.log(`  statements (per ${many ? 'insertMany' : 'insert'}):`);
    for (const [key, count] of [...counts].sort((a, b) => b[1] - a[1])) {
      console.log(`  ${(count / per).toFixed(2).padStart(8)}  ${key}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
