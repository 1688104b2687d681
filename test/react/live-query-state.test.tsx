// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Collection, SyncClient } from 'tidesync';
import { createSyncClient, defineCollection } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { useLiveQuery, useLiveQueryState } from 'tidesync/react';

const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string(), done: z.boolean() }),
});
type Todo = z.infer<typeof todos.schema>;

const clients: SyncClient[] = [];
afterEach(async () => {
  cleanup();
  for (const c of clients.splice(0)) await c.close();
});

async function open(): Promise<SyncClient> {
  const client = await createSyncClient({ collections: [todos], storage: memoryAdapter() });
  clients.push(client);
  return client;
}

/** A handle whose reads of `done: true` wait until `release()`: a slow query, without timers. */
function gated(collection: Collection<Todo>) {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handle: Collection<Todo> = {
    ...collection,
    subscribe: (query, callback, options) =>
      collection.subscribe(
        query,
        (rows) => {
          if (query.where?.done === true) void gate.then(() => callback(rows));
          else callback(rows);
        },
        options,
      ),
  };
  return { handle, release: () => release() };
}

describe('useLiveQueryState', () => {
  it('keeps the previous rows while a changed query loads, then shows the new ones', async () => {
    const client = await open();
    await client.collection(todos).insertMany([
      { title: 'open', done: false },
      { title: 'closed', done: true },
    ]);
    const { handle, release } = gated(client.collection(todos));
    const seen: string[] = [];
    function View() {
      const [done, setDone] = useState(false);
      const { rows, status } = useLiveQueryState(handle, { where: { done } });
      const text = `${status}:${rows?.map((r) => r.title).join(',') ?? '-'}`;
      if (seen.at(-1) !== text) seen.push(text);
      return (
        <>
          <button onClick={() => setDone(true)}>closed</button>
          <p data-testid="state">{text}</p>
        </>
      );
    }
    render(<View />);
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('ready:open'));
    act(() => screen.getByText('closed').click());
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('loading:open'));
    await act(async () => release());
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('ready:closed'));
    expect(seen).toEqual(['loading:-', 'ready:open', 'loading:open', 'ready:closed']);
  });

  it('turns a query the collection refuses into the error state, with the typed error', async () => {
    const client = await open();
    function Broken() {
      const { status, error } = useLiveQueryState(client.collection('todos'), {
        where: { titel: 'x' },
      });
      return <p data-testid="state">{`${status}:${(error as { code?: string })?.code}`}</p>;
    }
    render(<Broken />);
    await waitFor(() =>
      expect(screen.getByTestId('state').textContent).toBe('error:INVALID_QUERY'),
    );
  });

  it('reports a failed run as the error state and keeps the last rows', async () => {
    const client = await open();
    await client.collection(todos).insert({ title: 'a', done: false });
    const collection = client.collection(todos);
    let fail = false;
    const flaky: Collection<Todo> = {
      ...collection,
      subscribe: (query, callback, options) =>
        collection.subscribe(
          query,
          (rows) => (fail ? options?.onError?.(new Error('disk on fire')) : callback(rows)),
          options,
        ),
    };
    function View() {
      const { rows, status, error } = useLiveQueryState(flaky);
      return <p data-testid="state">{`${status}:${rows?.length}:${error?.message ?? ''}`}</p>;
    }
    render(<View />);
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('ready:1:'));
    fail = true;
    await act(() => collection.insert({ title: 'b', done: false }));
    await waitFor(() =>
      expect(screen.getByTestId('state').textContent).toBe('error:1:disk on fire'),
    );
  });

  it('delivers a failed run to the subscriber onError, not to syncError', async () => {
    const base = memoryAdapter();
    let failReads = false;
    // Reads fail on demand: a storage fault under a live query.
    const storage = new Proxy(base, {
      get(target, key) {
        if (key === 'transaction') {
          return (mode: 'readonly' | 'readwrite', fn: never) =>
            failReads && mode === 'readonly'
              ? Promise.reject(new Error('disk on fire'))
              : target.transaction(mode, fn);
        }
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const client = await createSyncClient({ collections: [todos], storage });
    clients.push(client);
    const errors: string[] = [];
    const syncErrors: string[] = [];
    client.on('syncError', (e) => syncErrors.push(e.message));
    let resolveFirst: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (resolveFirst = resolve));
    let resolveFailure: () => void = () => undefined;
    const failed = new Promise<void>((resolve) => (resolveFailure = resolve));
    client.collection(todos).subscribe({}, (r) => r.length === 1 && resolveFirst(), {
      onError: (e) => {
        errors.push(e.message);
        resolveFailure();
      },
    });
    await client.collection(todos).insert({ title: 'a', done: false });
    await first;
    failReads = true;
    await client.collection(todos).insert({ title: 'b', done: false });
    await failed;
    expect(errors).toEqual(['disk on fire']);
    expect(syncErrors).toEqual([]);
    failReads = false;
  });
});

describe('useLiveQuery', () => {
  it('keeps returning rows (same call shape) and the previous rows while a query changes', async () => {
    const client = await open();
    await client.collection(todos).insertMany([
      { title: 'open', done: false },
      { title: 'closed', done: true },
    ]);
    const { handle, release } = gated(client.collection(todos));
    function View() {
      const [done, setDone] = useState(false);
      const rows = useLiveQuery(handle, { where: { done } });
      return (
        <>
          <button onClick={() => setDone(true)}>closed</button>
          <p data-testid="rows">{rows?.map((r) => r.title).join(',') ?? 'loading'}</p>
        </>
      );
    }
    render(<View />);
    await waitFor(() => expect(screen.getByTestId('rows').textContent).toBe('open'));
    act(() => screen.getByText('closed').click());
    expect(screen.getByTestId('rows').textContent).toBe('open');
    await act(async () => release());
    await waitFor(() => expect(screen.getByTestId('rows').textContent).toBe('closed'));
  });
});
