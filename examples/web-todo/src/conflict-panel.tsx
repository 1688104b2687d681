import { useEffect, useState } from 'react';
import type { ConflictRecord, RecordData, SyncClient } from 'tidesync';
import { useSyncStatus } from 'tidesync/react';

/** The conflicted records of `client`, reloaded whenever the status or the data changes. */
function useConflicts(client: SyncClient): ConflictRecord[] {
  const status = useSyncStatus(client);
  const [conflicts, setConflicts] = useState<ConflictRecord[]>([]);
  useEffect(() => {
    let current = true;
    client.conflicts().then(
      (list) => current && setConflicts(list),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [client, status.conflicts, status.lastSyncedAt]);
  return conflicts;
}

function Version({ label, data }: { label: string; data: RecordData | null }) {
  return (
    <div
      className="version"
      data-testid={`version-${label === 'This device' ? 'local' : 'remote'}`}
    >
      <h3>{label}</h3>
      {data ? (
        <p>
          <strong>{String(data['title'])}</strong>
          <span className="muted">{data['done'] ? ' · done' : ' · not done'}</span>
        </p>
      ) : (
        <p className="muted">deleted</p>
      )}
    </div>
  );
}

/** Lists conflicts with both versions side by side, and lets the user keep one. */
export function ConflictPanel({ client }: { client: SyncClient }) {
  const conflicts = useConflicts(client);
  if (conflicts.length === 0) return null;
  const keep = async (c: ConflictRecord, side: 'local' | 'remote') => {
    await client.resolveConflict(c.collection, c.id, { keep: side });
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
