// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SyncClient } from 'tidesync';
import { defineCollection, manual } from 'tidesync';
import { useConflicts } from 'tidesync/react';
import { concurrentEdits } from '../client/conflict-helpers.js';

const todos = defineCollection({
  name: 'todos',
  schema: z.object({ title: z.string(), done: z.boolean() }),
  conflict: manual(),
});
const notes = defineCollection({ name: 'notes', schema: z.object({ text: z.string() }) });

const clients: SyncClient[] = [];
afterEach(async () => {
  cleanup();
  for (const c of clients.splice(0)) await c.close();
});

/** Two devices on one server; the second ends with `todo` conflicted (manual()). */
async function conflictedDevice(): Promise<{ client: SyncClient; id: string }> {
  const { b, id } = await concurrentEdits(todos, [todos, notes], clients);
  return { client: b, id };
}

function Inbox({ client }: { client: SyncClient }) {
  const conflicts = useConflicts(client, todos);
  if (!conflicts) return <p data-testid="inbox">loading</p>;
  // `local` and `remote` are typed from the schema: `.title` is a string.
  const text = conflicts.map((c) => `${c.local?.title}|${c.remote?.title}`).join(';');
  return <p data-testid="inbox">{text || 'empty'}</p>;
}

describe('useConflicts', () => {
  it('shows a conflict when it appears and drops it when resolved, live', async () => {
    const { client, id } = await conflictedDevice();
    render(<Inbox client={client} />);
    const inbox = () => screen.getByTestId('inbox').textContent;
    await waitFor(() => expect(inbox()).toBe('empty'));
    await act(() => client.sync());
    await waitFor(() => expect(inbox()).toBe('soy milk|oat milk'));
    await act(() => client.resolveConflict(todos, id, { keep: 'remote' }));
    await waitFor(() => expect(inbox()).toBe('empty'));
  });

  it('lists every collection without a definition', async () => {
    const { client } = await conflictedDevice();
    await client.sync();
    function All() {
      const conflicts = useConflicts(client);
      return <p data-testid="all">{conflicts?.map((c) => c.collection).join(',') ?? '-'}</p>;
    }
    render(<All />);
    await waitFor(() => expect(screen.getByTestId('all').textContent).toBe('todos'));
  });
});
