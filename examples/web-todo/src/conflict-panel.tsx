import type { ConflictRecord, SyncClient } from 'tidesync';
import { useConflicts } from 'tidesync/react';
import { todos, type Todo } from './collections.js';

function Version({ label, data }: { label: string; data: Todo | null }) {
  return (
    <div
      className="version"
      data-testid={`version-${label === 'This device' ? 'local' : 'remote'}`}
    >
      <h3>{label}</h3>
      {data ? (
        <p>
          <strong>{data.title}</strong>
          <span className="muted">{data.done ? ' · done' : ' · not done'}</span>
        </p>
      ) : (
        <p className="muted">deleted</p>
      )}
    </div>
  );
}

/** Lists conflicts with both versions side by side, and lets the user keep one. */
export function ConflictPanel({ client }: { client: SyncClient }) {
  // The live inbox of the todos' conflicts, typed from the schema (`c.local?.title` is a string).
  const conflicts = useConflicts(client, todos);
  if (!conflicts || conflicts.length === 0) return null;
  const keep = async (c: ConflictRecord<Todo>, side: 'local' | 'remote') => {
    await client.resolveConflict(todos, c.id, { keep: side });
    await client.sync().catch(() => undefined);
  };
  return (
    <section className="conflicts" aria-label="Conflicts" data-testid="conflict-panel">
      <h2>Changed on two devices</h2>
      <p className="muted">This todo was edited here and on another device. Keep one version.</p>
      {conflicts.map((c) => (
        <article key={c.id} className="conflict" data-testid="conflict">
          <div className="versions">
            <Version label="This device" data={c.local} />
            <Version label="Other device" data={c.remote} />
          </div>
          <div className="actions">
            <button type="button" onClick={() => void keep(c, 'local')}>
              Keep this device’s
            </button>
            <button type="button" onClick={() => void keep(c, 'remote')}>
              Keep other device’s
            </button>
          </div>
        </article>
      ))}
    </section>
  );
}
