import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCollection } from 'tidesync';
import { memoryServerStore } from 'tidesync/server';
import { observeCommits } from '../../src/server/live/commit-observer.js';
import { withMethodOverrides } from '../../src/server/method-overrides.js';
import type { CommittedChange } from '../../src/server/live/committed-change.js';
import { sampleServerRecord } from '../../src/testing/conformance/server-store.js';

const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string() }),
});

class Counter {
  #count = 0;
  calls = 0;
  bump(): number {
    this.#count += 1;
    return this.#count;
  }
  read(): number {
    return this.#count;
  }
}

describe('the observed transaction', () => {
  it('hands out each method bound once per transaction, and still reports its writes', async () => {
    const changes: CommittedChange[] = [];
    const store = observeCommits(memoryServerStore(), new Map([['todos', todos]]), (change) =>
      changes.push(change),
    );
    await store.open();
    await store.transaction(async (tx) => {
      expect(tx.getRecord).toBe(tx.getRecord);
      expect(tx.putRecord).toBe(tx.putRecord);
      expect(tx.lockClient).toBe(tx.lockClient);
      await tx.lockClient('c1', 'alice');
      expect(await tx.getRecord('todos', 'r1')).toBeUndefined();
      await tx.putRecord(sampleServerRecord({ id: 'r1', ownerId: 'alice' }));
    });
    expect(changes).toEqual([
      expect.objectContaining({ originClientId: 'c1', ownerIds: ['alice'] }),
    ]);
    await store.close();
  });
});

describe('withMethodOverrides', () => {
  it('binds methods of a class with private fields once, and lets overrides win', () => {
    const target = new Counter();
    const seen = withMethodOverrides(target, { read: () => -1 });
    expect(seen.bump).toBe(seen.bump);
    const bump = seen.bump;
    expect(bump()).toBe(1);
    expect(seen.bump()).toBe(2);
    expect(seen.read()).toBe(-1);
    expect(target.read()).toBe(2);
    target.calls = 7;
    expect(seen.calls).toBe(7);
  });

  it('binds a method reassigned on the target afresh', () => {
    const target = new Counter();
    const seen = withMethodOverrides(target, {});
    expect(seen.bump()).toBe(1);
    target.bump = () => 42;
    expect(seen.bump()).toBe(42);
  });
});
