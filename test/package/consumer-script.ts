/**
 * The scripts the consumer project runs, as source text: one ESM, one CJS. Each loads the
 * given subpaths of the installed package, prints their export names as JSON, and syncs one
 * record between two clients through an in-process server (a smoke test of the built code).
 */

const body = (load: string) => `
const subpaths = process.argv.slice(2);
const loaded = {};
const errors = {};
for (const s of subpaths) {
  try {
    loaded[s] = Object.keys(${load}(s)).sort();
  } catch (error) {
    errors[s] = String(error && error.message).split('\\n')[0];
  }
}
async function smoke() {
  const { z } = ${load}('zod');
  const { createSyncClient, defineCollection, directTransport, fieldMerge } = ${load}('tidesync');
  const { memoryAdapter } = ${load}('tidesync/adapters/memory');
  const { createSyncServer, memoryServerStore } = ${load}('tidesync/server');
  const todos = defineCollection({ name: 'todos', schema: z.object({ title: z.string() }), conflict: fieldMerge() });
  const server = createSyncServer({ collections: [todos], store: memoryServerStore(), authorize: () => ({ userId: 'u' }) });
  const open = () => createSyncClient({ collections: [todos], storage: memoryAdapter(), transport: directTransport(server) });
  const a = await open();
  const b = await open();
  await a.collection('todos').insert({ title: 'from the tarball' });
  await a.sync();
  await b.sync();
  const rows = await b.collection('todos').find();
  await a.close();
  await b.close();
  return rows.map((r) => r.title);
}
smoke().then(
  (titles) => console.log(JSON.stringify({ exports: loaded, errors, titles })),
  (error) => console.log(JSON.stringify({ exports: loaded, errors, smokeError: String(error && error.stack) })),
);
`;

/** An ES module that loads subpaths with `await import()`. */
export const ESM_SCRIPT = body('await import');

/** A CommonJS script that loads subpaths with `require()`. */
export const CJS_SCRIPT = body('require');
