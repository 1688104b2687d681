// The live stream of a device with `sync: 'sets'` collections tells the server its sets, so it
// is poked only for changes they cover (docs/sync-sets.md). A stream's sets are fixed when it
// opens: adding or removing a set ends it, and the live trigger reconnects with the new ones.
// Under a tab coordinator, a set another tab added or removed ends it too (withTabSets).
import type { StreamEvent, StreamKind, SyncSetWhere } from '../../core/index.js';

/** Opens a stream, as `ServerApi.openStream`. */
export type OpenStream = (
  kind: StreamKind,
  body: unknown,
  signal: AbortSignal,
) => Promise<AsyncIterable<StreamEvent>>;

/** The device's sync sets, as the live stream needs them (the sync flow's `SyncSets`). */
export interface LiveSetSource {
  list(): Promise<readonly { readonly collection: string; readonly where: SyncSetWhere }[]>;
  /** Calls `listener` after a set is added or removed; returns its unsubscribe. */
  onChange(listener: () => void): () => void;
}

/**
 * `sets`, whose `onChange` also fires when another tab of the database added or removed a set
 * (`subscribeRemote`, from the coordinator): the sets are persisted in the shared database, so
 * `list()` already returns them, and the leader's stream reopens with them.
 */
export function withTabSets(
  sets: LiveSetSource,
  subscribeRemote: (listener: () => void) => () => void,
): LiveSetSource {
  return {
    list: () => sets.list(),
    onChange(listener) {
      const local = sets.onChange(listener);
      const remote = subscribeRemote(listener);
      return () => {
        local();
        remote();
      };
    },
  };
}

/** `open`, with the device's sets in every live stream's body and the stream ended on a change. */
export function withStreamSets(open: OpenStream, sets: LiveSetSource): OpenStream {
  return async (kind, body, signal) => {
    if (kind !== 'live') return open(kind, body, signal);
    const stale = new AbortController();
    const unsubscribe = sets.onChange(() => stale.abort());
    const abort = (): void => stale.abort();
    signal.addEventListener('abort', abort, { once: true });
    const done = (): void => {
      unsubscribe();
      signal.removeEventListener('abort', abort);
    };
    try {
      const declared = (await sets.list()).map(({ collection, where }) => ({ collection, where }));
      const events = await open(kind, { ...(body as object), sets: declared }, stale.signal);
      return endWith(events, stale.signal, done);
    } catch (error) {
      done();
      throw error;
    }
  };
}

/** The events until `signal` aborts (then the stream ends, as when the server closes it). */
async function* endWith(
  events: AsyncIterable<StreamEvent>,
  signal: AbortSignal,
  done: () => void,
): AsyncIterable<StreamEvent> {
  try {
    for await (const event of events) {
      if (signal.aborted) return;
      yield event;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    done();
  }
}
