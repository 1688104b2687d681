/**
 * `npm run demo`: a real tidesync sync server on 127.0.0.1 (SQLite store, plain Node http) and
 * two devices of one user, each on its own SQLite file. The devices go offline, edit the same
 * records, come back, and converge: a field merge resolved by the server, and a manual
 * conflict resolved by the app. Prints what happens and exits 0 when every replica agrees.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import {
  createSyncClient,
  defineCollection,
  fieldMerge,
  httpTransport,
  manual,
  type SyncClient,
} from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { createSyncServer, sqliteServerStore } from 'tidesync/server';

const tasks = defineCollection({
  name: 'tasks',
  schema: z.object({ title: z.string(), done: z.boolean(), assignee: z.string().nullable() }),
  conflict: fieldMerge(),
});

const notes = defineCollection({
  name: 'notes',
  schema: z.object({ taskTitle: z.string(), text: z.string() }),
  conflict: manual(),
});

const collections = [tasks, notes];

/** A device: a sync client on its own SQLite file, with a network switch. */
interface Device {
  readonly name: string;
  readonly client: SyncClient;
  online: boolean;
}

const say = (line = ''): void => console.log(line);
const step = (n: number, title: string): void => say(`\n${n}. ${title}`);

function show(value: unknown): string {
  return JSON.stringify(value);
}

async function openDevice(name: string, dir: string, syncUrl: string): Promise<Device> {
  const device: Device = { name, online: true, client: undefined as never };
  // A fetch that fails like a dead network while the device is "offline".
  const deviceFetch: typeof fetch = async (input, init) => {
    if (!device.online) throw new TypeError(`fetch failed (${name} is offline)`);
    return fetch(input, init);
  };
  const db = new Database(join(dir, `${name}.db`));
  const client = await createSyncClient({
    collections,
    storage: sqliteAdapter({ driver: betterSqlite3Driver(db) }),
    transport: httpTransport({
      url: syncUrl,
      headers: { authorization: 'Bearer alice' },
      fetch: deviceFetch,
    }),
  });
  return Object.assign(device, { client });
}

async function syncAndReport(device: Device): Promise<void> {
  try {
    const r = await device.client.sync();
    say(
      `   ${device.name}: synced (pushed ${r.pushed}, pulled ${r.pulled}, conflicts ${r.conflicts}, pending ${r.remaining})`,
    );
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown';
    say(
      `   ${device.name}: sync failed with ${code}; ${device.client.status.pendingOps} change(s) stay in the outbox`,
    );
  }
}

/** The synced contents of a device, without device-local ids, sorted: comparable across devices. */
async function contents(client: SyncClient): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const { name } of collections) {
    const rows = await client.collection(name).find({ orderBy: [['serverId', 'asc']] });
    out[name] = rows.map(({ id: _id, updatedAt: _updatedAt, ...rest }) => rest);
  }
  return out;
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tidesync-demo-'));
  const serverDb = new Database(join(dir, 'server.db'));
  serverDb.pragma('journal_mode = WAL');
  const sync = createSyncServer({
    collections,
    store: sqliteServerStore(serverDb),
    authorize: (request) =>
      request.headers.get('authorization') === 'Bearer alice' ? { userId: 'alice' } : null,
  });
  const http = createServer((req, res) => {
    if (req.url?.startsWith('/sync/')) return sync.nodeHandler(req, res);
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((ready) => http.listen(0, '127.0.0.1', ready));
  const { port } = http.address() as AddressInfo;
  const syncUrl = `http://127.0.0.1:${port}/sync`;
  const devices: Device[] = [];

  try {
    say('tidesync demo: one sync server, two devices, offline edits and conflicts');
    say(`   server: ${syncUrl} (SQLite store in ${join(dir, 'server.db')})`);

    step(1, 'Alice opens the app on her laptop and her phone (each on its own SQLite file).');
    const laptop = await openDevice('laptop', dir, syncUrl);
    const phone = await openDevice('phone', dir, syncUrl);
    devices.push(laptop, phone);
    const task = await laptop.client
      .collection('tasks')
      .insert({ title: 'Replace pump filter', done: false, assignee: null });
    const note = await laptop.client
      .collection('notes')
      .insert({ taskTitle: 'Replace pump filter', text: 'Filter is in the van.' });
    say(`   laptop: created task ${show(task.title)} and a note, saved locally at once`);
    say(
      `   laptop: task syncStatus=${task.syncStatus}, serverId=${String(task.serverId)}, pending ops=${laptop.client.status.pendingOps}`,
    );
    await syncAndReport(laptop);
    await syncAndReport(phone);
    const onPhone = await phone.client.collection('tasks').get(task.serverId ?? task.id);
    say(`   phone: sees ${show(onPhone?.title)} (serverId ${String(onPhone?.serverId)})`);

    step(2, 'Both devices lose the network and keep working.');
    laptop.online = false;
    phone.online = false;
    await laptop.client.collection('tasks').update(task.id, { done: true });
    await laptop.client
      .collection('notes')
      .update(note.id, { text: 'Filter is in the van. Replaced, old one binned.' });
    say('   laptop (offline): marks the task done and edits the note');
    const phoneTask = (await phone.client.collection('tasks').find())[0];
    const phoneNote = (await phone.client.collection('notes').find())[0];
    if (!phoneTask || !phoneNote) throw new Error('the phone did not pull the records');
    await phone.client.collection('tasks').update(phoneTask.id, { assignee: 'sam' });
    await phone.client
      .collection('notes')
      .update(phoneNote.id, { text: 'Filter is in the van. Sam will do it Friday.' });
    say('   phone (offline): assigns the task to Sam and edits the same note');
    await syncAndReport(laptop);
    await syncAndReport(phone);

    step(3, 'The network comes back. The laptop syncs first, then the phone.');
    laptop.online = true;
    phone.online = true;
    await syncAndReport(laptop);
    phone.client.on('conflict', (event) =>
      say(`   phone: conflict event on ${event.collection} (the app would show a panel here)`),
    );
    await syncAndReport(phone);
    const merged = await phone.client.collection('tasks').get(phoneTask.id);
    say(
      `   tasks use fieldMerge(): the server merged both edits -> done=${String(merged?.done)}, assignee=${String(merged?.assignee)}`,
    );

    step(4, 'notes use manual(): the phone keeps both versions until someone chooses.');
    const [conflict] = await phone.client.conflicts();
    if (!conflict) throw new Error('expected a manual conflict on the phone');
    say(`   phone version : ${show(conflict.local?.['text'])}`);
    say(`   server version: ${show(conflict.remote?.['text'])}`);
    const combined = 'Filter is in the van. Replaced, old one binned. Sam checks it Friday.';
    await phone.client.resolveConflict('notes', conflict.id, {
      value: { taskTitle: 'Replace pump filter', text: combined },
    });
    say(`   phone: Alice writes a combined note -> ${show(combined)}`);
    await syncAndReport(phone);
    await syncAndReport(laptop);

    step(5, 'A third device signs in fresh and pulls everything from the server.');
    const tablet = await openDevice('tablet', dir, syncUrl);
    devices.push(tablet);
    await syncAndReport(tablet);

    const states = await Promise.all(devices.map((d) => contents(d.client)));
    const [first] = states;
    const converged = states.every((s) => JSON.stringify(s) === JSON.stringify(first));
    const pending = devices.reduce((n, d) => n + d.client.status.pendingOps, 0);
    const conflicts = devices.reduce((n, d) => n + d.client.status.conflicts, 0);
    say('\nFinal state on every device:');
    for (const [name, rows] of Object.entries(first ?? {})) {
      for (const row of rows) say(`   ${name}: ${show(row)}`);
    }
    const ok = converged && pending === 0 && conflicts === 0;
    say(
      `\nconverged: ${String(ok)} (${devices.length} devices, ${pending} pending ops, ${conflicts} open conflicts)`,
    );
    if (!ok) {
      for (const [i, s] of states.entries()) say(`   ${devices[i]?.name}: ${show(s)}`);
    }
    return ok ? 0 : 1;
  } finally {
    for (const d of devices) await d.client.close();
    await new Promise<void>((done) => {
      http.closeAllConnections();
      http.close(() => done());
    });
    serverDb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('demo failed:', error);
    process.exitCode = 1;
  },
);
