// The steps of the S34 convergence property test (convergence.test.ts): each one a write, a
// sync, a fault, a restart, an app update or a clock move on the harness, recorded for the
// oracle (convergence-oracle.ts) on the test's side.
import type { CollectionDefinition, StorageAdapter, SyncClient } from 'tidesync';
import type { TestHarness } from 'tidesync/testing';
import type { Tally } from './convergence-checks.js';
import { MAX_CLOCK_OFFSET_MS, trySync, type Step } from './convergence-model.js';
import { recordIntent, shown, type Intent } from './convergence-oracle.js';
import { REGIONS, addSet, removeSet, type OrderSet } from './convergence-sets.js';
import { LATEST, doneAt, type TodoVersion } from './convergence-versions.js';

async function pickId(
  c: SyncClient,
  collection: string,
  pick: number,
): Promise<string | undefined> {
  const rows = await c.collection(collection).find();
  return rows.length === 0 ? undefined : rows[pick % rows.length]?.id;
}

/** What a schedule's steps act on and record. */
export interface Run {
  readonly h: TestHarness;
  /** Each client's storage as its client uses it now. */
  readonly storages: StorageAdapter[];
  readonly intents: Intent[];
  /** Each device clock's offset from the shared clock. */
  readonly offsets: number[];
  /** Each client's app (schema) version. */
  readonly versions: TodoVersion[];
  /** The client collection definitions of an app version. */
  readonly clientAt: (version: TodoVersion) => CollectionDefinition[];
  /** Each client's sync sets of `orders`, as the test declared them (convergence-sets.ts). */
  readonly sets: OrderSet[][];
  readonly tally: Tally;
}

/** Client `index` updates its app to `version`: a restart whose open runs the local upgrade. */
export async function upgradeClient(run: Run, index: number, version: TodoVersion): Promise<void> {
  run.versions[index] = version;
  run.tally.upgrades += 1;
  await run.h.restartClient(index, { collections: run.clientAt(version) });
}

/** Runs one step of a schedule. */
export async function runStep(run: Run, step: Step): Promise<void> {
  const { h, storages, intents, offsets, tally } = run;
  if (step.t === 'tick') return h.clock.advance(step.ms);
  if (step.t === 'serverRestart') {
    tally.serverRestarts += 1;
    await h.restartServer();
    return;
  }
  const c = h.clients[step.c]!;
  const storage = storages[step.c]!;
  const version = run.versions[step.c] ?? LATEST;
  const wrote = (write: Omit<Intent, 'hlc' | 'client'>) =>
    recordIntent(intents, c, storage, { ...write, client: step.c, version });
  switch (step.t) {
    case 'insertTodo': {
      const data = { title: step.title, done: doneAt(version, false), projectId: null };
      const t = await c.collection('todos').insert(data);
      return wrote({ collection: 'todos', id: t.id, patch: data, view: data });
    }
    case 'insertProject': {
      const data = { name: step.name };
      const p = await c.collection('projects').insert(data);
      return wrote({ collection: 'projects', id: p.id, patch: data, view: data });
    }
    case 'update': {
      const id = await pickId(c, 'todos', step.pick);
      if (!id) return;
      const patch = {
        ...(step.title === undefined ? {} : { title: step.title }),
        ...(step.done === undefined ? {} : { done: doneAt(version, step.done) }),
      };
      if (Object.keys(patch).length === 0) return;
      const before = await shown(c, 'todos', id);
      await c.collection('todos').update(id, patch);
      return wrote({ collection: 'todos', id, patch, view: { ...before, ...patch } });
    }
    case 'reference': {
      const id = await pickId(c, 'todos', step.pick);
      const project = await pickId(c, 'projects', step.project);
      if (!id) return;
      const patch = { projectId: project ?? null };
      const before = await shown(c, 'todos', id);
      await c.collection('todos').update(id, patch);
      return wrote({ collection: 'todos', id, patch, view: { ...before, ...patch } });
    }
    case 'insertOrder': {
      const data = { title: step.title, region: REGIONS[step.region]! };
      const o = await c.collection('orders').insert(data);
      return wrote({ collection: 'orders', id: o.id, patch: data, view: data });
    }
    case 'move': {
      const id = await pickId(c, 'orders', step.pick);
      if (!id) return;
      const patch = {
        region: REGIONS[step.region]!,
        ...(step.title === undefined ? {} : { title: step.title }),
      };
      const before = await shown(c, 'orders', id);
      await c.collection('orders').update(id, patch);
      return wrote({ collection: 'orders', id, patch, view: { ...before, ...patch } });
    }
    case 'addSet':
      tally.setChanges += 1;
      return addSet(c, step.c, run.sets[step.c]!, step.regions);
    case 'removeSet':
      tally.setChanges += 1;
      return removeSet(c, step.c, run.sets[step.c]!, step.pick);
    case 'delete': {
      const id = await pickId(c, step.collection, step.pick);
      if (!id) return;
      await c.collection(step.collection).delete(id);
      return wrote({ collection: step.collection, id, patch: {}, view: null });
    }
    case 'sync':
      return trySync(() => h.sync(step.c));
    case 'faults':
      return h.networks[step.c]!.setFaults({
        dropRequestRate: step.drop,
        dropResponseRate: step.lose,
        duplicateRate: step.duplicate,
        serverErrorRate: step.serverError,
        rateLimitRate: step.rateLimit,
      });
    case 'clockJump': {
      const offset = (offsets[step.c] ?? 0) + step.ms;
      if (Math.abs(offset) > MAX_CLOCK_OFFSET_MS) return;
      tally.clockJumps += 1;
      offsets[step.c] = offset;
      h.setClockOffset(step.c, offset);
      return;
    }
    case 'offline':
      return h.offline(step.c);
    case 'online':
      return h.online(step.c);
    case 'restart':
      tally.restarts += 1;
      await h.restartClient(step.c);
      return;
    case 'upgrade':
      if (version < LATEST) await upgradeClient(run, step.c, (version + 1) as TodoVersion);
      return;
  }
}
