// Ops made under an older schema version are moved to the server's version before they are
// validated and applied; ops from a newer version than the server knows refuse the request.
import type { CollectionDefinition, OpResult, WireOp, WireRecord } from '../core/index.js';
import {
  MigrationError,
  canMigrate,
  migrateClocks,
  migrateData,
  migratePatch,
} from '../core/index.js';
import { RequestRefusedError } from './replies.js';
import type { ServerContext } from './server-context.js';
import type { ServerStoreTransaction } from './server-store.js';
import { currentVersionReads } from './stored-version.js';

/**
 * Refuses a push holding an op made under a newer schema version than this server knows (a
 * rolling deploy not finished yet): 409 `server_too_old`, nothing applied. The client keeps the
 * ops queued and sends them again later.
 * @throws RequestRefusedError 409 `server_too_old`.
 */
export function refuseNewerOps(ctx: ServerContext, ops: readonly WireOp[]): void {
  for (const op of ops) {
    const collection = ctx.collections.get(op.collection);
    const version = op.schemaVersion ?? 1;
    if (collection && version > collection.version) {
      throw new RequestRefusedError(
        409,
        'server_too_old',
        `Op \`${op.opId}\` of \`${op.collection}\` was made under schema version ${version}, but this server knows version ${collection.version}. Nothing was applied; keep the ops queued and send them again once the server runs version ${version}.`,
      );
    }
  }
}

/**
 * Applies `op` at the server's schema version: an older op's `data` and `patch` go through the
 * collection's migrations first (field clocks follow renamed fields), then `apply` validates and
 * applies it, reading stored records at the current version ({@link currentVersionReads}). The
 * result's record carries the server's version. An op a migration cannot carry
 * is rejected (`migration_failed`, naming the collection, versions and step); one whose upcast
 * data fails the schema is rejected (`validation_failed`) with the versions in the message.
 */
export async function applyAtServerVersion(
  ctx: ServerContext,
  tx: ServerStoreTransaction,
  op: WireOp,
  apply: (op: WireOp, tx: ServerStoreTransaction) => Promise<OpResult>,
): Promise<OpResult> {
  const collection = ctx.collections.get(op.collection);
  if (!collection) return apply(op, tx);
  const from = op.schemaVersion ?? 1;
  let upcast = op;
  if (from < collection.version) {
    try {
      upcast = upcastOp(collection, op, from);
    } catch (error) {
      if (!(error instanceof MigrationError)) throw error;
      return {
        opId: op.opId,
        status: 'rejected',
        code: 'migration_failed',
        message: error.message,
      };
    }
  }
  const result = await apply(upcast, collection.version > 1 ? currentVersionReads(ctx, tx) : tx);
  if (result.status === 'rejected') {
    if (upcast === op) return result;
    return {
      ...result,
      message:
        `After upcasting from schema version ${from} to ${collection.version}: ${result.message}`.slice(
          0,
          2000,
        ),
    };
  }
  // applyOp stamps the records it answers with; a copy only for any other `apply`.
  if (result.record.schemaVersion === collection.version) return result;
  return { ...result, record: { ...result.record, schemaVersion: collection.version } };
}

function upcastOp(collection: CollectionDefinition, op: WireOp, from: number): WireOp {
  const to = collection.version;
  const data = op.data ? migrateData(collection, op.data, from, to) : op.data;
  const patch = op.patch ? migratePatch(collection, op.patch, from, to) : op.patch;
  const fields = patch ?? data;
  const fieldClocks = fields ? migrateClocks(op.fieldClocks, fields, op.hlc) : op.fieldClocks;
  return { ...op, data, patch, fieldClocks, schemaVersion: to };
}

/**
 * The record of a push answer at the version of the op that asked: moved down through reverse
 * migrations when the op is older and every step has one; else left at the server's version
 * (the client keeps its own copy then).
 */
export function answerAtOpVersion(
  ctx: ServerContext,
  op: WireOp | undefined,
  result: OpResult,
): OpResult {
  if (!op || result.status === 'rejected') return result;
  const record = recordAtVersion(ctx, result.record, op.schemaVersion ?? 1);
  return record === result.record ? result : { ...result, record };
}

/**
 * `record` moved to `version`: up through the migrations, or down when reverse migrations reach
 * it; else `record` itself.
 */
export function recordAtVersion(
  ctx: ServerContext,
  record: WireRecord,
  version: number,
): WireRecord {
  const collection = ctx.collections.get(record.collection);
  const at = record.schemaVersion ?? 1;
  if (!collection || at === version || !canMigrate(collection, at, version)) return record;
  if (record.deleted && Object.keys(record.data).length === 0)
    return { ...record, schemaVersion: version };
  try {
    const data = migrateData(collection, record.data, at, version);
    const fieldClocks = migrateClocks(record.fieldClocks, data, record.hlc);
    return { ...record, data, fieldClocks, schemaVersion: version };
  } catch (error) {
    if (error instanceof MigrationError) return record;
    throw error;
  }
}
