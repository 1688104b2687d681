// S1 / S5 under a real process kill: a child process (fixtures/sqlite-crash-client-writer.ts)
// writes through the client's write path to an SQLite file and is killed with SIGKILL at a
// varying point of a later transaction, 24 times; the file must pass integrity_check and hold
// every acknowledged write with its outbox op. TIDESYNC_CRASH_SEED replays the kill schedule
// (printed in the test name); where each kill lands depends on timing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { betterSqlite3Driver, sqliteAdapter } from 'tidesync/adapters/sqlite';
import { seededRandom } from '../../src/testing/conformance/storage-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tidesync-sqlite-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const writer = fileURLToPath(new URL('./fixtures/sqlite-crash-client-writer.ts', import.meta.url));

const KILLS = 24;
const SEED = Number(process.env['TIDESYNC_CRASH_SEED'] ?? Date.now() % 1_000_000);

/**
 * Starts the writer (a local-only SyncClient doing inserts and updates, the real write path) on
 * `file` and kills it with SIGKILL once it has reported `commits` acknowledged writes. The child
 * keeps writing while the report travels through the pipe, so the kill lands at a varying point
 * of a later transaction. Resolves with the lines the child printed after each local ack:
 * `inserted <id>` or `updated <id> <v>`.
 */
function runAndKill(file: string, commits: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const committed: string[] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('inserted ') || line.startsWith('updated ')) committed.push(line);
      }
      if (!killed && committed.length >= commits) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(committed);
      else reject(new Error(`writer exited without being killed (${String(_code)}): ${stderr}`));
    });
  });
}

describe('sqliteAdapter under SIGKILL', () => {
  it(`keeps every client write with its outbox op and every acknowledged write across ${KILLS} kills (seed ${SEED})`, async () => {
    const file = join(dir, 'crash.sqlite');
    const random = seededRandom(SEED);
    const acknowledged: string[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      // Mostly a few commits, sometimes the kill comes right after start-up.
      const commits = random() < 0.2 ? 0 : 1 + Math.floor(random() * 40);
      acknowledged.push(...(await runAndKill(file, commits)));
    }

    const db = new Database(file);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const adapter = sqliteAdapter({ driver: betterSqlite3Driver(db) });
    await adapter.open();
    const { records, ops } = await adapter.transaction('readonly', async (tx) => ({
      records: await tx.listRecords('todos'),
      ops: await tx.listOps(),
    }));
    await adapter.close();

    expect(acknowledged.length).toBeGreaterThan(KILLS);
    const byId = new Map(records.map((r) => [r.id, r]));
    const opRecordIds = new Set(ops.map((op) => op.id));
    const missing = acknowledged.filter((line) => {
      const [kind, id = '', v] = line.split(' ');
      const record = byId.get(id);
      // Updates only raise v, so a later (unreported) update may have raised it further.
      return !record || (kind === 'updated' && Number(record.data['v']) < Number(v));
    });
    expect(missing, 'acknowledged writes missing after the kills').toEqual([]);
    // Invariant 1: no record without its outbox op, no op without its record.
    expect([...byId.keys()].filter((id) => !opRecordIds.has(id))).toEqual([]);
    expect([...opRecordIds].filter((id) => !byId.has(id))).toEqual([]);
    const seqs = ops.map((op) => op.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }, 180_000);
});
