import type { ServerRecord, ServerStore } from '../../server/index.js';

/** A store under test, fresh and empty, plus how to reopen the same data and clean up. */
export interface ServerStoreFixture {
  readonly store: ServerStore;
  /** Opens a second store instance on the same underlying data, when the backend can. */
  readonly reopen?: () => Promise<ServerStore>;
  /** Drops what the fixture created (files, schemas, connections). */
  readonly cleanup?: () => Promise<void>;
}

/** Creates a fresh fixture for each conformance case. */
export type CreateServerStore = () => Promise<ServerStoreFixture>;

const HLC = '000000000001000:000000:node1';

/** A valid record for conformance cases; override any field. */
export function sampleServerRecord(overrides: Partial<ServerRecord> = {}): ServerRecord {
  return {
    collection: 'todos',
    id: 'r1',
    ownerId: 'alice',
    version: 1,
    data: { title: 'a', done: false, nested: { list: [1, 'two', null], ok: true }, emoji: 'é🌊' },
    hlc: HLC,
    fieldClocks: { title: HLC, done: HLC },
    deleted: false,
    updatedAt: 1_000,
    originClientId: 'c1',
    originId: 'local-1',
    ...overrides,
  };
}
