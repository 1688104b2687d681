// The oracle of S34 under manual(): the strategy picks no winner, so the oracle checks what it
// promises instead. While a conflict is open, both versions are kept: the local side is what
// the test last asked that client to write, the remote side is what the server holds. Each
// resolution chooses (in turn) the local side, the remote side or a new value; the client shows
// the chosen value at once, and once the replicas settle the server holds a chosen value.
import type { CollectionDefinition, ConflictResolution, RecordData } from 'tidesync';
import type { TestHarness } from 'tidesync/testing';
import type { Tally } from './convergence-checks.js';
import {
  lastView,
  poisoned,
  sameData,
  serverState,
  shown,
  type Intent,
} from './convergence-oracle.js';

/** The resolution number `n` chooses, and the value it leaves. */
function choose(
  n: number,
  collection: string,
  local: RecordData | null,
  remote: RecordData | null,
): { resolution: ConflictResolution; value: RecordData | null } {
  if (n % 3 === 0 || (n % 3 === 2 && (local === null || remote === null))) {
    return { resolution: { keep: 'local' }, value: local };
  }
  if (n % 3 === 1) return { resolution: { keep: 'remote' }, value: remote };
  const value =
    collection === 'projects' ? { name: `resolved ${n}` } : { ...remote, title: `resolved ${n}` };
  return { resolution: { value }, value };
}

/**
 * Resolves every open conflict on every client, checking both versions before and the chosen
 * value after, and settles, until no conflict is left. The resolutions are recorded as writes
 * the test asked for (`intents`).
 */
export async function resolveAndCheck(
  h: TestHarness,
  collections: readonly CollectionDefinition[],
  intents: Intent[],
  tally: Tally,
): Promise<void> {
  const problems: string[] = [];
  for (let pass = 0; pass < 6; pass++) {
    const open = await Promise.all(h.clients.map((c) => c.conflicts()));
    if (open.every((list) => list.length === 0)) return;
    const tainted = poisoned(intents);
    const server = await serverState(h, collections);
    const chosen = new Map<string, (RecordData | null)[]>();
    for (const [i, c] of h.clients.entries()) {
      for (const conflict of open[i]!) {
        const key = `${conflict.collection}/${conflict.serverId ?? conflict.id}`;
        const remote = server.get(key) ?? null;
        if (!tainted.has(key)) {
          tally.checkedConflicts += 1;
          const local = lastView(intents, i, key);
          if (local === undefined) problems.push(`client ${i}: ${key} in conflict, never written`);
          else if (!sameData(conflict.local, local)) {
            problems.push(
              `client ${i}: ${key} local side ${JSON.stringify(conflict.local)}, the test wrote ${JSON.stringify(local)}`,
            );
          }
          if (!sameData(conflict.remote, remote)) {
            problems.push(
              `client ${i}: ${key} remote side ${JSON.stringify(conflict.remote)}, the server holds ${JSON.stringify(remote)}`,
            );
          }
        }
        const pick = choose(
          tally.checkedResolutions++,
          conflict.collection,
          conflict.local,
          conflict.remote,
        );
        await c.resolveConflict(conflict.collection, conflict.id, pick.resolution);
        const after = (await shown(c, conflict.collection, conflict.id)) ?? null;
        if (!sameData(after, pick.value)) {
          problems.push(
            `client ${i}: ${key} resolved with ${JSON.stringify(pick.resolution)}, shows ${JSON.stringify(after)}, chose ${JSON.stringify(pick.value)}`,
          );
        }
        intents.push({
          collection: conflict.collection,
          id: conflict.serverId ?? conflict.id,
          client: i,
          patch: pick.value ?? {},
          view: pick.value,
          hlc: intents.at(-1)?.hlc ?? '',
        });
        chosen.set(key, [...(chosen.get(key) ?? []), pick.value]);
      }
    }
    if (problems.length > 0) break;
    await h.settle({ maxRounds: 30 });
    // Once no client holds a conflict on it, the server holds a value one resolution chose.
    const still = new Set<string>();
    for (const c of h.clients) {
      for (const x of await c.conflicts()) still.add(`${x.collection}/${x.serverId ?? x.id}`);
    }
    const settled = await serverState(h, collections);
    for (const [key, values] of chosen) {
      if (still.has(key) || tainted.has(key)) continue;
      const got = settled.get(key) ?? null;
      if (!values.some((v) => sameData(got, v))) {
        problems.push(
          `${key}: the server holds ${JSON.stringify(got)}, the resolutions chose ${values.map((v) => JSON.stringify(v)).join(' or ')}`,
        );
      }
    }
    if (problems.length > 0) break;
  }
  if (problems.length > 0) {
    throw new Error(
      `manual(): conflicts not kept or resolutions not applied (network seed ${h.seed}):\n  ${problems.join('\n  ')}`,
    );
  }
}
