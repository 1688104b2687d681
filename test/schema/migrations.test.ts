// Pure migration functions of core: data, patches and clocks between schema versions.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  MigrationError,
  TidesyncError,
  canMigrate,
  defineCollection,
  migrateData,
  migratePatch,
} from 'tidesync';
import { migrateClocks } from '../../src/core/migrations.js';
import { todosV1, todosV3, todosV3Reversible } from './todo-versions.js';

describe('migrateData', () => {
  it('runs every step from one version to another, and back through reverse migrations', () => {
    const v1 = { title: 'milk', done: false };
    const v3 = migrateData(todosV3, v1, 1, 3);
    expect(v3).toEqual({ name: 'milk', done: false, priority: 0 });
    expect(migrateData(todosV3, v3, 3, 3)).toBe(v3);
    expect(migrateData(todosV3Reversible, { name: 'milk', done: true, priority: 2 }, 3, 1)).toEqual(
      {
        title: 'milk',
        done: true,
      },
    );
    expect(canMigrate(todosV3Reversible, 3, 1)).toBe(true);
    expect(canMigrate(todosV3, 3, 1)).toBe(false);
    expect(canMigrate(todosV3, 1, 3)).toBe(true);
  });

  it('a migration that throws gives MIGRATION_FAILED naming the collection, the versions and the step', () => {
    const boom = defineCollection({
      name: 'notes',
      version: 2,
      schema: z.object({ text: z.string() }),
      migrations: {
        2: () => {
          throw new Error('no text');
        },
      },
    });
    const input = { text: 'a' };
    let caught: unknown;
    try {
      migrateData(boom, input, 1, 2);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MigrationError);
    expect(caught).toMatchObject({
      code: 'MIGRATION_FAILED',
      collection: 'notes',
      fromVersion: 1,
      toVersion: 2,
      step: 2,
    });
    expect((caught as Error).message).toMatch(/`notes`.*version 1 to 2.*no text/);
    expect(input).toEqual({ text: 'a' });
  });

  it('refuses to go down without a reverse migration, and to versions this build does not know', () => {
    expect(() => migrateData(todosV3, { name: 'x', done: false, priority: 0 }, 3, 2)).toThrow(
      /reverse migration/,
    );
    expect(() => migrateData(todosV1, { title: 'x', done: false }, 2, 1)).toThrow(
      /only up to version 1/,
    );
  });
});

describe('migratePatch', () => {
  it('moves a patch on a renamed field to the new name', () => {
    expect(migratePatch(todosV3, { title: 'oat milk' }, 1, 3)).toEqual({ name: 'oat milk' });
  });

  it('does not write a default the update never touched', () => {
    expect(migratePatch(todosV3, { done: true }, 1, 3)).toEqual({ done: true });
  });

  it('keeps a field the migration computes from a patched field (a split)', () => {
    const people = defineCollection({
      name: 'people',
      version: 2,
      schema: z.object({ first: z.string(), last: z.string() }),
      migrations: {
        2: ({ fullName, ...rest }) => {
          const [first = '', last = ''] = String(fullName).split(' ');
          return { ...rest, first, last };
        },
      },
    });
    expect(migratePatch(people, { fullName: 'Ada Lovelace' }, 1, 2)).toEqual({
      first: 'Ada',
      last: 'Lovelace',
    });
  });
});

describe('migrateClocks', () => {
  it('keeps the clocks of kept fields, gives new fields the write clock, drops gone fields', () => {
    expect(
      migrateClocks({ title: 'c1', done: 'c2' }, { name: 'x', done: true, priority: 0 }, 'c9'),
    ).toEqual({ name: 'c9', done: 'c2', priority: 'c9' });
  });
});

describe('defineCollection version and migrations', () => {
  it('defaults to version 1 without migrations', () => {
    expect(todosV1).toMatchObject({ version: 1, migrations: {} });
  });

  it.each([
    [{ version: 0 }, /integer from 1/],
    [{ version: 1.5 }, /integer from 1/],
    [{ version: 3, migrations: { 2: (r: object) => r } }, /migration 3 \(from 2 to 3\) is missing/],
    [{ version: 2, migrations: { 2: (r: object) => r, 5: (r: object) => r } }, /out of range/],
    [{ version: 2, migrations: { 2: { up: 1 } } }, /migration 2/],
  ])('refuses %o with INVALID_OPTION', (extra, message) => {
    let caught: unknown;
    try {
      defineCollection({ name: 'x', schema: z.object({ a: z.string() }), ...(extra as object) });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TidesyncError);
    expect(caught).toMatchObject({ code: 'INVALID_OPTION' });
    expect((caught as Error).message).toMatch(message);
  });
});
