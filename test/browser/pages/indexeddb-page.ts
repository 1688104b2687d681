/**
 * Page script for the IndexedDB browser tests: runs the storage conformance suite and a few
 * adapter scenarios against the browser's own `indexedDB`, and exposes them on
 * `window.tidesyncPage` for the Node side to call through `page.evaluate`.
 */
import { indexedDbAdapter } from 'tidesync/adapters/indexeddb';
import type { StorageAdapter, StoredRecord } from 'tidesync';
import { storageAdapterConformanceCases } from '../../../src/testing/conformance/storage-adapter.js';
import { makeOp, makeRecord } from '../../../src/testing/conformance/storage-fixtures.js';

/** One conformance case's outcome, as the Node side reads it. */
export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** What a failed write looked like from the app's side, and what was left stored. */
export interface FailedWrite {
  readonly name: string | undefined;
  readonly code: string | undefined;
  readonly message: string;
  readonly recordIds: string[];
  readonly opIds: string[];
  readonly cursor: unknown;
}

/** The functions this page exposes on `window.tidesyncPage`. */
export interface IndexedDbPageApi {
  runConformance(): Promise<CaseResult[]>;
  writeSample(name: string): Promise<void>;
  readSample(name: string): Promise<{ record?: StoredRecord; opIds: string[]; cursor: unknown }>;
  awaitTimerInTransaction(name: string): Promise<FailedWrite>;
  writeTooMuch(name: string, bytes: number): Promise<FailedWrite>;
}

declare global {
  interface Window {
    tidesyncPage?: IndexedDbPageApi;
    conformanceResults?: CaseResult[];
  }
}

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);

async function withOpen<T>(name: string, fn: (adapter: StorageAdapter) => Promise<T>): Promise<T> {
  const adapter = indexedDbAdapter({ name });
  await adapter.open();
  try {
    return await fn(adapter);
  } finally {
    await adapter.close();
  }
}

async function failedWrite(name: string, attempt: Promise<unknown>): Promise<FailedWrite> {
  let failure: { name?: string; code?: string; message?: string } = {};
  try {
    await attempt;
    failure = { message: 'the write resolved' };
  } catch (error) {
    failure = error as typeof failure;
  }
  return withOpen(name, (adapter) =>
    adapter.transaction('readonly', async (tx) => ({
      name: failure.name,
      code: failure.code,
      message: failure.message ?? '',
      recordIds: (await tx.listRecords('todos')).map((r) => r.id),
      opIds: (await tx.listOps()).map((o) => o.opId),
      cursor: await tx.getMeta('cursor'),
    })),
  );
}

const api: IndexedDbPageApi = {
  async runConformance() {
    const results: CaseResult[] = [];
    const run = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    for (const [index, testCase] of storageAdapterConformanceCases.entries()) {
      let created = 0;
      const create = () => indexedDbAdapter({ name: `conformance-${run}-${index}-${created++}` });
      try {
        await testCase.run(create);
        results.push({ name: testCase.name, ok: true });
      } catch (error) {
        results.push({ name: testCase.name, ok: false, error: describeError(error) });
      }
    }
    window.conformanceResults = results;
    return results;
  },

  async writeSample(name) {
    await withOpen(name, (adapter) =>
      adapter.transaction('readwrite', async (tx) => {
        await tx.putRecord(
          makeRecord({ id: 'r1', serverId: 's1', data: { title: 'persisted', n: [1, 2] } }),
        );
        await tx.putOp(makeOp({ opId: 'op1', seq: 1 }));
        await tx.setMeta('cursor', { page: 7 });
      }),
    );
  },

  async readSample(name) {
    return withOpen(name, (adapter) =>
      adapter.transaction('readonly', async (tx) => {
        const record = await tx.getRecordByServerId('todos', 's1');
        return {
          ...(record ? { record } : {}),
          opIds: (await tx.listOps()).map((o) => o.opId),
          cursor: await tx.getMeta('cursor'),
        };
      }),
    );
  },

  async awaitTimerInTransaction(name) {
    const adapter = indexedDbAdapter({ name });
    await adapter.open();
    const attempt = adapter.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 'before-timer' }));
      await tx.putOp(makeOp({ opId: 'op-before-timer', seq: 1 }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await tx.setMeta('cursor', 'after-timer');
    });
    const result = await failedWrite(name, attempt);
    await adapter.close();
    return result;
  },

  async writeTooMuch(name, bytes) {
    const adapter = indexedDbAdapter({ name });
    await adapter.open();
    await adapter.transaction('readwrite', async (tx) => {
      await tx.putRecord(makeRecord({ id: 'small' }));
      await tx.setMeta('cursor', 'c1');
    });
    const attempt = adapter.transaction('readwrite', async (tx) => {
      await tx.putOp(makeOp({ opId: 'op-big', seq: 1 }));
      await tx.putRecord(makeRecord({ id: 'big', data: { blob: 'x'.repeat(bytes) } }));
      await tx.setMeta('cursor', 'c2');
    });
    const result = await failedWrite(name, attempt);
    await adapter.close();
    return result;
  },
};

window.tidesyncPage = api;
