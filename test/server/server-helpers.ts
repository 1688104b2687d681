import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { defineCollection, fieldMerge, lastWriteWins, manual } from 'tidesync';
import { encodeHlc } from '../../src/core/index.js';
import type { OpResult, WireOp } from '../../src/core/index.js';
import { createSyncServer, memoryServerStore, sqliteServerStore } from 'tidesync/server';
import type { ServerStore, SyncServer, SyncServerOptions } from 'tidesync/server';
import { createPostgresFixture, postgresUrl } from './postgres-fixture.js';

export const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string(), done: z.boolean() }),
  conflict: lastWriteWins(),
});
export const notes = defineCollection({
  name: 'notes',
  schema: z.object({ title: z.string(), body: z.string() }),
  conflict: fieldMerge(),
});
export const memos = defineCollection({
  name: 'memos',
  schema: z.object({ text: z.string() }),
  conflict: manual(),
});
/** Records visible to every user of the same team (user.team), whoever created them. */
export const boards = defineCollection({
  name: 'boards',
  schema: z.object({ name: z.string(), team: z.string() }),
  scope: (record, user) => record.data['team'] === user['team'],
});
export const collections = [todos, notes, memos, boards];

/** A store factory per backend; Postgres only when TIDESYNC_PG_URL is set (required in CI). */
export interface StoreKind {
  readonly name: string;
  create(): Promise<{ store: ServerStore; cleanup: () => Promise<void> }>;
}

export function storeKinds(): StoreKind[] {
  const kinds: StoreKind[] = [
    {
      name: 'memory',
      create: async () => ({ store: memoryServerStore(), cleanup: async () => {} }),
    },
    {
      name: 'sqlite',
      create: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'tidesync-srv-'));
        const db = new Database(join(dir, 'sync.db'));
        db.pragma('journal_mode = WAL');
        return {
          store: sqliteServerStore(db),
          cleanup: async () => {
            db.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
  ];
  const url = postgresUrl();
  if (url) {
    kinds.push({
      name: 'postgres',
      create: async () => {
        const fixture = await createPostgresFixture(url);
        return { store: fixture.store, cleanup: async () => fixture.cleanup?.() };
      },
    });
  }
  return kinds;
}

/** Users come from the `x-user` header (and `x-team`); no header -> 401. */
export const authorize: SyncServerOptions['authorize'] = (request) => {
  const userId = request.headers.get('x-user');
  return userId ? { userId, team: request.headers.get('x-team') ?? 'none' } : null;
};

export const NOW = 1_700_000_000_000;

export function makeServer(
  store: ServerStore,
  options: Partial<SyncServerOptions> = {},
): SyncServer {
  return createSyncServer({
    collections,
    store,
    authorize,
    now: () => NOW,
    onError: () => {},
    ...options,
  });
}

/** An HLC string at `ms` for `node`. */
export const hlcAt = (ms: number, node = 'c1', counter = 0): string =>
  encodeHlc({ ms, counter, node });

let opCounter = 0;

/** A wire op with sensible defaults (an insert into todos). */
export function op(fields: Partial<WireOp> & { seq: number }): WireOp {
  opCounter += 1;
  const type = fields.type ?? 'insert';
  const data =
    fields.data === undefined
      ? type === 'insert'
        ? { title: 't', done: false }
        : undefined
      : fields.data;
  const base: WireOp = {
    opId: `op-${opCounter}-${Math.random().toString(36).slice(2)}`,
    collection: 'todos',
    id: `rec-${opCounter}`,
    serverId: null,
    type,
    baseVersion: 0,
    hlc: hlcAt(NOW - 1000),
    fieldClocks: {},
    ...fields,
  };
  return data === undefined ? base : { ...base, data };
}

export interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

/** POSTs a JSON body through server.fetch under `mount`. */
export async function call<T = Record<string, unknown>>(
  server: SyncServer,
  kind: string,
  body: unknown,
  options: { user?: string | null; team?: string; mount?: string; raw?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const user = options.user === undefined ? 'alice' : options.user;
  if (user !== null) headers['x-user'] = user;
  if (options.team) headers['x-team'] = options.team;
  const response = await server.fetch(
    new Request(`http://sync.test${options.mount ?? '/sync'}/${kind}`, {
      method: 'POST',
      headers,
      body: options.raw ?? JSON.stringify(body),
    }),
  );
  return { status: response.status, body: (await response.json()) as T };
}

export interface PushAnswer {
  readonly protocol: number;
  readonly results: OpResult[];
  readonly lastSeq: number;
  readonly error?: { code: string; message: string; lastSeq?: number };
}

export const push = (
  server: SyncServer,
  clientId: string,
  ops: WireOp[],
  options: { user?: string | null; team?: string } = {},
) => call<PushAnswer>(server, 'push', { protocol: 1, clientId, ops }, options);

export interface PullAnswer {
  readonly changes: {
    id: string;
    collection: string;
    version: number;
    deleted: boolean;
    data: Record<string, unknown>;
    hlc: string;
  }[];
  readonly cursor: string;
  readonly hasMore: boolean;
  readonly reset: boolean;
  readonly error?: { code: string; message: string };
}

export const pull = (
  server: SyncServer,
  clientId: string,
  cursor: string | null,
  limit = 100,
  options: { user?: string | null; team?: string } = {},
) => call<PullAnswer>(server, 'pull', { protocol: 1, clientId, cursor, limit }, options);

/** Pulls every page from `cursor` on; returns the changes and the last cursor. */
export async function pullAll(
  server: SyncServer,
  clientId: string,
  cursor: string | null = null,
  limit = 100,
  options: { user?: string | null; team?: string } = {},
): Promise<{ changes: PullAnswer['changes']; cursor: string | null }> {
  const changes: PullAnswer['changes'] = [];
  for (;;) {
    const answer = await pull(server, clientId, cursor, limit, options);
    if (answer.status !== 200) throw new Error(`pull failed: ${JSON.stringify(answer.body)}`);
    changes.push(...answer.body.changes);
    cursor = answer.body.cursor;
    if (!answer.body.hasMore) return { changes, cursor };
  }
}
