import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tidesyncRound } from './tidesync-sync.js';
const dir = mkdtempSync(join(tmpdir(), 'big-'));
const t = performance.now();
const r = await tidesyncRound('sqlite', 100_000, dir, undefined, [
  'tidesync-sqlite',
  'tidesync-memory',
]);
console.log(r, (performance.now() - t) / 1000, 's total');
