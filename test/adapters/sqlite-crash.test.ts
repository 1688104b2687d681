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
const writer = fileURLToPath(new URL('./fixtures/sqlite-crash-writer.ts', import.meta.url));

const KILLS = 24;
const SEED = Number(process.env['TIDESYNC_CRASH_SEED'] ?? Date.now() % 1_000_000);

/**
 * Starts the writer on `file` and kills it with SIGKILL once it has reported `commits` writes.
 * The child keeps writing while the report travels through the pipe, so the kill lands at a
 * varying point of a later transaction. Resolves with the ids the child reported as committed.
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
        if (line.startsWith('committed ')) committed.push(line.slice('committed '.length));
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
  it(`keeps every record with its outbox op and every acknowledged write across ${KILLS} kills (seed ${SEED})`, async () => {
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
    const { records, ops, nextSeq } = await adapter.transaction('readonly', async (tx) => ({
      records: await tx.listRecords('todos'),
      ops: await tx.listOps(),
      nextSeq: await tx.getMeta<number>('nextSeq'),
    }));
    await adapter.close();

    expect(acknowledged.length).toBeGreaterThan(KILLS);
    const recordIds = new Set(records.map((r) => r.id));
    const opRecordIds = new Set(ops.map((op) => op.id));
    for (const id of acknowledged) expect(recordIds.has(id), `acknowledged ${id}`).toBe(true);
    expect([...recordIds].filter((id) => !opRecordIds.has(id))).toEqual([]);
    expect([...opRecordIds].filter((id) => !recordIds.has(id))).toEqual([]);
    const seqs = ops.map((op) => op.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    // Sequence numbers are contiguous: no write was half-applied and then reused.
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(nextSeq).toBe(seqs.length + 1);
  }, 180_000);
});
