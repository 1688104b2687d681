import { useState } from 'react';
import type { CollectionRecord, SyncClient } from 'tidesync';
import { useLiveQueryState } from 'tidesync/react';
import { todos as todoCollection, type Todo } from './collections.js';

function TodoItem({ client, todo }: { client: SyncClient; todo: CollectionRecord<Todo> }) {
  const [draft, setDraft] = useState<string | null>(null);
  const todos = client.collection<Todo>('todos');
  const save = async () => {
    if (draft && draft.trim() && draft !== todo.title) {
      await todos.update(todo.id, { title: draft.trim() });
    }
    setDraft(null);
  };
  return (
    <li
      className={`todo ${todo.done ? 'done' : ''}`}
      data-testid="todo"
      data-sync={todo.syncStatus}
    >
      <input
        type="checkbox"
        aria-label={`Done: ${todo.title}`}
        checked={todo.done}
        onChange={() => void todos.update(todo.id, { done: !todo.done })}
      />
      {draft === null ? (
        <span className="title" data-testid="todo-title">
          {todo.title}
        </span>
      ) : (
        <form
          className="edit"
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          <input
            aria-label={`Edit ${todo.title}`}
            value={draft}
            autoFocus
            onChange={(event) => setDraft(event.target.value)}
          />
          <button type="submit">Save</button>
        </form>
      )}
      {todo.syncStatus !== 'synced' && (
        <span className={`badge ${todo.syncStatus}`}>{todo.syncStatus}</span>
      )}
      {draft === null && (
        <button type="button" className="link" onClick={() => setDraft(todo.title)}>
          Edit
        </button>
      )}
      <button
        type="button"
        className="link danger"
        aria-label={`Delete ${todo.title}`}
        onClick={() => void todos.delete(todo.id)}
      >
        ✕
      </button>
    </li>
  );
}

/** The add form and the live list of todos, read from local storage only. */
export function TodoList({ client }: { client: SyncClient }) {
  const { rows, status, error } = useLiveQueryState(client.collection(todoCollection), {
    orderBy: [['title', 'asc']],
  });
  const [title, setTitle] = useState('');
  const add = async () => {
    if (!title.trim()) return;
    await client.collection<Todo>('todos').insert({ title: title.trim(), done: false });
    setTitle('');
  };
  return (
    <>
      <form
        className="add"
        onSubmit={(event) => {
          event.preventDefault();
          void add();
        }}
      >
        <input
          aria-label="New todo"
          placeholder="What needs doing?"
          value={title}
          onChange={(event) => setTitle(event.target.value)}
        />
        <button type="submit">Add</button>
      </form>
      {status === 'error' && (
        <p className="error" role="alert">
          Could not read the todos: {error?.message}
        </p>
      )}
      {rows === undefined ? (
        <p className="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="muted">Nothing to do.</p>
      ) : (
        <ul className="todos">
          {rows.map((todo) => (
            <TodoItem key={todo.id} client={client} todo={todo} />
          ))}
        </ul>
      )}
    </>
  );
}
