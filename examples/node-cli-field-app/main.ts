/**
 * A field-service app in the terminal: a technician records jobs offline in a local SQLite
 * file, closes them out on site, and syncs when there is signal.
 *
 *   node --import tsx examples/node-cli-field-app/main.ts add "ACME Ltd" "Replace pump filter"
 *   node --import tsx examples/node-cli-field-app/main.ts done <id> --note "Filter replaced"
 *   node --import tsx examples/node-cli-field-app/main.ts list
 *   node --import tsx examples/node-cli-field-app/main.ts sync --url http://127.0.0.1:8787/sync
 *   node --import tsx examples/node-cli-field-app/main.ts visit north "Pump house" "Checked valves"
 *   node --import tsx examples/node-cli-field-app/main.ts sync --url … --region north
 *
 * The data file is `--db <path>` (default `field-app.db` in the current directory), so the
 * jobs and the unsent changes survive restarts. Start a server with `server.ts`.
 */
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { SyncClient } from 'tidesync';
import { TidesyncError, createSyncClient, httpTransport } from 'tidesync';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { collections, visits, type Job, type Visit } from './collections.js';

const USAGE = `usage: main.ts <command> [--db file] [options]
  add <customer> <task>        record a new job (works offline)
  done <id> [--note text]      close a job out
  list                         show every job and whether it is synced
  sync --url <server url>      push local changes, pull everyone else's
       [--region name]         also sync that region's site visits from now on (a sync set)
  visit <region> <site> <note> log a site visit (synced up; kept if a set covers its region)
  visits                       show the site visits on this device
  status                       pending changes and open conflicts`;

async function openClient(dbPath: string, url: string | undefined): Promise<SyncClient> {
  return createSyncClient({
    collections,
    storage: sqliteAdapter({ driver: betterSqlite3Driver(new Database(dbPath)) }),
    ...(url
      ? { transport: httpTransport({ url, headers: { authorization: 'Bearer tech-1' } }) }
      : {}),
  });
}

/** Finds a job by the short id `list` shows (a prefix of its server id or local id). */
async function findJob(client: SyncClient, prefix: string) {
  const all = await client.collection<Job>('jobs').find();
  const matches = all.filter(
    (j) => (j.serverId ?? j.id).startsWith(prefix) || j.id.startsWith(prefix),
  );
  if (matches.length !== 1) {
    throw new Error(
      matches.length === 0
        ? `No job with id ${prefix}. Run \`list\` to see ids.`
        : `Id ${prefix} is ambiguous; give more characters.`,
    );
  }
  return matches[0]!;
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string', default: 'field-app.db' },
      url: { type: 'string' },
      note: { type: 'string' },
      region: { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  if (!command) {
    console.log(USAGE);
    return;
  }
  const client = await openClient(values.db, values.url);
  try {
    const jobs = client.collection<Job>('jobs');
    switch (command) {
      case 'add': {
        const [customer, task] = rest;
        if (!customer || !task) throw new Error(`add needs <customer> <task>.\n${USAGE}`);
        const job = await jobs.insert({
          customer,
          task,
          status: 'open',
          note: '',
          priority: 'normal',
        });
        console.log(`added ${job.id.slice(0, 8)}: ${customer} - ${task} (not synced yet)`);
        break;
      }
      case 'done': {
        const [prefix] = rest;
        if (!prefix) throw new Error(`done needs <id>.\n${USAGE}`);
        const job = await findJob(client, prefix);
        await jobs.update(job.id, {
          status: 'done',
          ...(values.note ? { note: values.note } : {}),
        });
        console.log(`closed ${prefix}: ${job.customer} - ${job.task}`);
        break;
      }
      case 'list': {
        const rows = await jobs.find({
          orderBy: [
            ['customer', 'asc'],
            ['task', 'asc'],
          ],
        });
        if (rows.length === 0) console.log('no jobs');
        for (const j of rows) {
          const id = (j.serverId ?? j.id).slice(0, 8);
          const note = j.note ? ` - ${j.note}` : '';
          console.log(`${id} [${j.status}] ${j.customer} - ${j.task}${note} (${j.syncStatus})`);
        }
        break;
      }
      case 'sync': {
        if (!values.url) throw new Error(`sync needs --url <server url>.\n${USAGE}`);
        // Declared once, kept in the data file: later syncs pull this region's visits too.
        if (values.region)
          await client.collection(visits).syncSet({ where: { region: values.region } });
        const r = await client.sync();
        console.log(`synced: pushed ${r.pushed}, pulled ${r.pulled}, pending ${r.remaining}`);
        break;
      }
      case 'visit': {
        const [region, site, note] = rest;
        if (!region || !site || !note)
          throw new Error(`visit needs <region> <site> <note>.\n${USAGE}`);
        await client.collection<Visit>('visits').insert({ region, site, note });
        console.log(`logged a visit at ${site} (${region})`);
        break;
      }
      case 'visits': {
        const rows = await client.collection<Visit>('visits').find({
          orderBy: [
            ['region', 'asc'],
            ['site', 'asc'],
          ],
        });
        if (rows.length === 0) console.log('no visits');
        for (const v of rows) console.log(`${v.region} ${v.site}: ${v.note} (${v.syncStatus})`);
        break;
      }
      case 'status': {
        const s = client.status;
        console.log(`pending changes: ${s.pendingOps}, conflicts: ${s.conflicts}`);
        break;
      }
      default:
        throw new Error(`Unknown command ${command}.\n${USAGE}`);
    }
  } finally {
    await client.close();
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof TidesyncError && error.code === 'NETWORK_UNAVAILABLE') {
    console.error('No connection to the server. Your changes are saved and will sync later.');
    process.exitCode = 2;
    return;
  }
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
