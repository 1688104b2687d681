// Helpers of sqlite-upgrade-real.test.ts: the server an old fixture last talked to, rebuilt
// from its `.server.json`, and a dump of a database file to compare two opens.
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import {
  memoryServerStore,
  type ClientState,
  type FeedEntry,
  type ServerStore,
  type ServerStoreReader,
} from 'tidesync/server';

/** What the memory server held when the old client closed. */
export interface ServerDump {
  readonly epoch: string;
  readonly head: number;
  readonly entries: FeedEntry[];
  readonly client: ClientState;
  readonly outcomes: { opId: string; pushSeq: number; result: never }[];
}

/** A memory server store whose epoch is `epoch` (a new memory store makes a random one). */
export function withEpoch(inner: ServerStore, epoch: string): ServerStore {
  const patch = <T extends ServerStoreReader>(target: T): T =>
    new Proxy(target, {
      get(t, key) {
        if (key === 'getEpoch') return () => Promise.resolve(epoch);
        const value = Reflect.get(t, key) as unknown;
        return typeof value === 'function' ? value.bind(t) : value;
      },
    });
  return {
    kind: inner.kind,
    open: () => inner.open(),
    close: () => inner.close(),
    read: (fn) => inner.read((reader) => fn(patch(reader))),
    transaction: (fn) => inner.transaction((tx) => fn(patch(tx))),
  };
}

/** The server the old client last talked to: same epoch, feed positions, client seq, outcomes. */
export async function restoreServer(dump: ServerDump): Promise<ServerStore> {
  const store = withEpoch(memoryServerStore(), dump.epoch);
  await store.open();
  const byPosition = new Map(dump.entries.map((e) => [e.position, e.record]));
  // One commit per position; positions no record holds any more get records of another user.
  for (let position = 1; position <= dump.head; position++) {
    await store.transaction(async (tx) => {
      const record = byPosition.get(position) ?? {
        ...dump.entries[0]!.record,
        id: `filler-${position}`,
        ownerId: 'nobody',
      };
      await tx.getRecord(record.collection, record.id);
      await tx.putRecord(record);
    });
  }
  await store.transaction(async (tx) => {
    await tx.lockClient(dump.client.clientId, dump.client.userId);
    await tx.setLastSeq(dump.client.clientId, dump.client.lastSeq);
    for (const o of dump.outcomes) {
      await tx.putOutcome(dump.client.clientId, o.opId, o.pushSeq, o.result);
    }
  });
  expect(await store.read((r) => r.getHead())).toBe(dump.head);
  return store;
}

/** The schema and every row of the database, to compare two opens. */
export function contents(file: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as { type: string; name: string; sql: string }[];
    return {
      version: db.pragma('user_version', { simple: true }),
      schema: tables,
      rows: tables
        .filter((t) => t.type === 'table')
        .map((t) => db.prepare(`SELECT * FROM ${t.name} ORDER BY 1, 2`).all()),
    };
  } finally {
    db.close();
  }
}
