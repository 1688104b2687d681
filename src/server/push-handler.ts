import type { OpResult, PushRequest, PushResponse, SyncUser } from '../core/index.js';
import { PROTOCOL_VERSION, toLeanResult } from '../core/index.js';
import { applyOp } from './apply-op.js';
import { readsOf } from './op-plan.js';
import { RequestRefusedError } from './replies.js';
import type { ServerContext } from './server-context.js';
import { refuseUnstorable } from './unstorable-op.js';
import { answerAtOpVersion, applyAtServerVersion, refuseNewerOps } from './upcast-op.js';

/**
 * Handles a validated push: checks the batch, then applies its ops in one store transaction.
 *
 * Per op, in order: a recorded (clientId, opId) replays its outcome; otherwise its `seq` must be
 * `lastSeq + 1`, or the whole request is refused with `seq_gap` and rolled back. With `lean`,
 * an applied result whose record is exactly the op's own leaves the record out.
 * @throws RequestRefusedError 400 for a malformed batch, 403 for another user's clientId,
 * 409 `seq_gap`, 409 `server_too_old` for an op of a newer schema version than the server's.
 */
export async function handlePush(
  ctx: ServerContext,
  user: SyncUser,
  request: PushRequest,
): Promise<PushResponse> {
  const { clientId, ops } = request;
  const opIds = new Set<string>();
  ops.forEach((op, index) => {
    const previous = ops[index - 1];
    if (previous && op.seq <= previous.seq) {
      throw new RequestRefusedError(
        400,
        'bad_request',
        `ops.${index}.seq: expected seq greater than ${previous.seq} (seqs in a batch strictly increase), got ${op.seq}.`,
      );
    }
    if (opIds.has(op.opId)) {
      throw new RequestRefusedError(
        400,
        'bad_request',
        `ops.${index}.opId: \`${op.opId}\` appears twice in the batch; opIds must be unique.`,
      );
    }
    opIds.add(op.opId);
  });
  refuseNewerOps(ctx, ops);

  // Refused per op before any store sees them (a NUL would fail a Postgres query).
  const refused = new Map<string, OpResult>();
  for (const op of ops) {
    const rejection = refuseUnstorable(op);
    if (rejection) refused.set(op.opId, rejection);
  }

  return ctx.store.transaction(async (tx) => {
    const client = await tx.lockClient(clientId, user.userId);
    if (client.userId !== user.userId) throw forbiddenClient(clientId);
    // One load for every outcome and record the batch reads, where the store supports it.
    const storable = refused.size ? ops.filter((op) => !refused.has(op.opId)) : ops;
    await tx.preload?.(readsOf(ctx, clientId, storable));
    let lastSeq = client.lastSeq;
    const results: OpResult[] = [];
    for (const op of ops) {
      const recorded = await tx.getOutcome(clientId, op.opId);
      if (recorded) {
        results.push(recorded);
        continue;
      }
      if (op.seq !== lastSeq + 1) {
        throw new RequestRefusedError(
          409,
          'seq_gap',
          `Op \`${op.opId}\` has seq ${op.seq} but the server expected ${lastSeq + 1}. Re-send the unacknowledged ops numbered from ${client.lastSeq + 1}.`,
          client.lastSeq,
        );
      }
      const result =
        refused.get(op.opId) ??
        (await applyAtServerVersion(ctx, tx, op, (at, atTx) =>
          applyOp({ ctx, tx: atTx, user, clientId }, at),
        ));
      await tx.putOutcome(clientId, op.opId, op.seq, result);
      lastSeq = op.seq;
      results.push(result);
    }
    if (lastSeq !== client.lastSeq) await tx.setLastSeq(clientId, lastSeq);
    // Outcomes are recorded whole; a lean request gets each one the client can rebuild from
    // its op without the record (a replay too: it is compared with the op as re-sent).
    const answers = results.map((result, index) => {
      const op = ops[index];
      const answer = answerAtOpVersion(ctx, op, result);
      return request.lean && op ? toLeanResult(op, answer) : answer;
    });
    return { protocol: PROTOCOL_VERSION, results: answers, lastSeq, ...clockOf(ctx) };
  });
}

/** The server's time and clock drift, sent with every push and pull answer. */
export function clockOf(ctx: ServerContext): { serverTime: number; maxClockDriftMs: number } {
  return { serverTime: Math.max(0, Math.floor(ctx.now())), maxClockDriftMs: ctx.maxClockDriftMs };
}

/** The refusal for a clientId bound to another user. */
export function forbiddenClient(clientId: string): RequestRefusedError {
  return new RequestRefusedError(
    403,
    'forbidden',
    `Client id \`${clientId}\` belongs to another user. Create a new client id for this user.`,
  );
}
