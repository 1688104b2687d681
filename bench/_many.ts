import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSyncClient } from 'tidesync';
import { freshAdapter } from './local-writes.js';
import { todoFields, todosCollection } from './workload.js';
const dir = mkdtempSync(join(tmpdir(), 'mm-'));
const kind = (process.argv[2] ?? 'sqlite') as 'sqlite';
for (let r = 0; r < 3; r++) {
  const c = await createSyncClient({
    collections: [todosCollection()],
    storage: freshAdapter(kind, dir),
    triggers: [],
  });
  const rows = Array.from({ length: 10000 }, (_, i) => todoFields(i));
  const t = performance.now();
  await c.collection('todos').insertMany(rows);
  console.log('insertMany 10k', kind, (performance.now() - t).toFixed(0), 'ms');
  await c.close();
}
