// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { StrictMode, useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Query, SyncClient } from 'tidesync';
import { createSyncClient, defineCollection, directTransport } from 'tidesync';
import { memoryAdapter } from 'tidesync/adapters/memory';
import { useLiveQuery, useSyncStatus } from 'tidesync/react';
import { createSyncServer, memoryServerStore } from 'tidesync/server';

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

/** A client whose network can be switched off; it syncs with an in-process server. */
async function makeClient(): Promise<{ client: SyncClient; network: { up: boolean } }> {
  const network = { up: true };
  const server = createSyncServer({
    collections: [todos],
    store: memoryServerStore(),
    authorize: () => ({ userId: 'alice' }),
  });
  const client = await createSyncClient({
    collections: [todos],
    storage: memoryAdapter(),
    transport: directTransport({
      fetch: (request) => {
        if (!network.up) return Promise.reject(new TypeError('fetch failed'));
        return server.fetch(request);
      },
    }),
  });
  clients.push(client);
  return { client, network };
}

function TodoList({ client, query }: { client: SyncClient; query: Query<Todo> }) {
  const rows = useLiveQuery(client.collection<Todo>('todos'), query);
  if (!rows) return <p>loading</p>;
  return (
    <ul aria-label="todos">
      {rows.map((t) => (
        <li key={t.id}>{`${t.title}${t.done ? ' ✓' : ''}`}</li>
      ))}
    </ul>
  );
}

function Status({ client }: { client: SyncClient }) {
  const s = useSyncStatus(client);
  return (
    <p data-testid="status">{`online=${s.online} pending=${s.pendingOps} error=${s.lastError?.name ?? 'none'}`}</p>
  );
}

const items = () => screen.queryAllByRole('listitem').map((li) => li.textContent);

describe('useLiveQuery', () => {
  it('shows loading, then the rows, then every committed change', async () => {
    const { client } = await makeClient();
    const todo = await client.collection<Todo>('todos').insert({ title: 'milk', done: false });
    render(<TodoList client={client} query={{ orderBy: [['title', 'asc']] }} />);
    expect(screen.getByText('loading')).toBeTruthy();
    await waitFor(() => expect(items()).toEqual(['milk']));

    await act(() => client.collection<Todo>('todos').insert({ title: 'bread', done: false }));
    await waitFor(() => expect(items()).toEqual(['bread', 'milk']));
    await act(() => client.collection<Todo>('todos').update(todo.id, { done: true }));
    await waitFor(() => expect(items()).toEqual(['bread', 'milk ✓']));
    await act(() => client.collection('todos').delete(todo.id));
    await waitFor(() => expect(items()).toEqual(['bread']));
  });

  it('filters by the query and follows a changed query', async () => {
    const { client } = await makeClient();
    await client.collection<Todo>('todos').insertMany([
      { title: 'a', done: true },
      { title: 'b', done: false },
    ]);
    function Switchable() {
      const [done, setDone] = useState(false);
      return (
        <>
          <button onClick={() => setDone((d) => !d)}>toggle</button>
          <TodoList client={client} query={{ where: { done } }} />
        </>
      );
    }
    render(<Switchable />);
    await waitFor(() => expect(items()).toEqual(['b']));
    act(() => screen.getByText('toggle').click());
    await waitFor(() => expect(items()).toEqual(['a ✓']));
  });

  it('keeps one subscription across re-renders with an equal inline query (StrictMode too)', async () => {
    const { client } = await makeClient();
    const collection = client.collection<Todo>('todos');
    let subscriptions = 0;
    const counting = {
      ...collection,
      subscribe: (...args: Parameters<typeof collection.subscribe>) => {
        subscriptions++;
        return collection.subscribe(...args);
      },
    };
    function Counted({ tick }: { tick: number }) {
      const rows = useLiveQuery(counting, { where: { done: false } });
      return <p data-testid="count">{`${tick}:${rows?.length ?? 'loading'}`}</p>;
    }
    const view = render(
      <StrictMode>
        <Counted tick={0} />
      </StrictMode>,
    );
    await waitFor(() => expect(screen.getByTestId('count').textContent).toBe('0:0'));
    const afterMount = subscriptions;
    for (let tick = 1; tick <= 5; tick++) {
      view.rerender(
        <StrictMode>
          <Counted tick={tick} />
        </StrictMode>,
      );
    }
    await act(() => collection.insert({ title: 'x', done: false }));
    await waitFor(() => expect(screen.getByTestId('count').textContent).toBe('5:1'));
    expect(subscriptions).toBe(afterMount);
  });

  it('unsubscribes from the collection on unmount', async () => {
    const { client } = await makeClient();
    const collection = client.collection<Todo>('todos');
    let active = 0;
    const tracked = {
      ...collection,
      subscribe: (...args: Parameters<typeof collection.subscribe>) => {
        active++;
        const stop = collection.subscribe(...args);
        return () => {
          active--;
          stop();
        };
      },
    };
    function Tracked() {
      const rows = useLiveQuery(tracked);
      return <p data-testid="n">{rows?.length ?? 'loading'}</p>;
    }
    const view = render(<Tracked />);
    await waitFor(() => expect(screen.getByTestId('n').textContent).toBe('0'));
    expect(active).toBe(1);
    view.unmount();
    expect(active).toBe(0);
  });
});

describe('useSyncStatus', () => {
  it('tracks pending ops, going offline and coming back', async () => {
    const { client, network } = await makeClient();
    render(<Status client={client} />);
    const status = () => screen.getByTestId('status').textContent;
    expect(status()).toBe('online=true pending=0 error=none');

    await act(() => client.collection<Todo>('todos').insert({ title: 'a', done: false }));
    await waitFor(() => expect(status()).toBe('online=true pending=1 error=none'));

    network.up = false;
    await act(() => client.sync().catch(() => undefined));
    expect(status()).toBe('online=false pending=1 error=NetworkError');

    network.up = true;
    await act(() => client.sync());
    expect(status()).toBe('online=true pending=0 error=none');
  });
});

describe('useLiveQuery types', () => {
  it('infers the row type from a collection definition', async () => {
    const { client } = await makeClient();
    function Typed() {
      const rows = useLiveQuery(client.collection(todos), { where: { done: false } });
      // Compile-time check: `title` is a string on the inferred row type.
      const titles: string[] | undefined = rows?.map((r) => r.title.toUpperCase());
      return <p data-testid="typed">{titles?.join(',') ?? 'loading'}</p>;
    }
    await client.collection(todos).insert({ title: 'typed', done: false });
    render(<Typed />);
    await waitFor(() => expect(screen.getByTestId('typed').textContent).toBe('TYPED'));
  });
});
