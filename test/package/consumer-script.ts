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

/**
 * An ES module that loads the ESM and the CJS build of tidesync side by side and reports
 * whether errors of one are recognised by the other (`instanceof`, `isTidesyncError`).
 */
export const MIXED_ERRORS_SCRIPT = `
import { createRequire } from 'node:module';
const esm = await import('tidesync');
const cjs = createRequire(import.meta.url)('tidesync');
const fromCjs = new cjs.ValidationError('bad', []);
const fromEsm = new esm.NetworkError('NETWORK_UNAVAILABLE', 'down', { retryable: true });
console.log(JSON.stringify({
  distinctClasses: esm.TidesyncError !== cjs.TidesyncError,
  cjsInstanceofEsmBase: fromCjs instanceof esm.TidesyncError,
  cjsInstanceofEsmSubclass: fromCjs instanceof esm.ValidationError,
  cjsNotOtherSubclass: !(fromCjs instanceof esm.NetworkError),
  esmRecognisedByCjs: cjs.isTidesyncError(fromEsm) && fromEsm instanceof cjs.NetworkError,
}));
`;

/** Blocks any import of vitest in the process it is registered in (node --import). */
export const NO_VITEST_HOOKS = `
export async function resolve(specifier, context, next) {
  if (specifier === 'vitest' || specifier.startsWith('vitest/')) {
    throw new Error('tidesync/testing imported vitest');
  }
  return next(specifier, context);
}
`;
export const NO_VITEST_REGISTER = `
import { register } from 'node:module';
register('./no-vitest-hooks.mjs', import.meta.url);
`;

/** A node:test file that uses tidesync/testing from the installed package, without vitest. */
export const NODE_TEST_SCRIPT = `
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeClock, storageAdapterConformanceCases } from 'tidesync/testing';
import { memoryAdapter } from 'tidesync/adapters/memory';

test('the fake clock runs under node:test', async () => {
  const clock = createFakeClock({ start: 1000 });
  let fired = 0;
  clock.setTimeout(() => (fired += 1), 50);
  await clock.advance(50);
  assert.equal(fired, 1);
});

for (const c of storageAdapterConformanceCases.slice(0, 5)) {
  test('conformance: ' + c.name, () => c.run(() => memoryAdapter()));
}
`;
