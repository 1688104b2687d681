import type { SyncTrigger } from '../sync-trigger.js';
import { triggerSource } from './trigger-source.js';

const NO_DOCUMENT =
  'foregroundTrigger() found no `document` in this runtime. Pass `foregroundTrigger({ source })` with an app-state source (for example React Native AppState).';

/** A source of app foreground/background changes, such as React Native AppState. */
export interface AppStateSource {
  /** Calls `listener(true)` when the app comes to the foreground; returns an unsubscribe function. */
  subscribe(listener: (foreground: boolean) => void): () => void;
}

interface VisibilityDocument {
  readonly visibilityState?: string;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/** The browser's `visibilitychange`, when this runtime has a `document`. */
export function browserVisibility(): AppStateSource | undefined {
  const doc = (globalThis as { document?: VisibilityDocument }).document;
  if (!doc || typeof doc.addEventListener !== 'function') return undefined;
  return {
    subscribe(listener) {
      const handler = () => listener(doc.visibilityState === 'visible');
      doc.addEventListener('visibilitychange', handler);
      return () => doc.removeEventListener('visibilitychange', handler);
    },
  };
}

/**
 * Syncs when the app comes to the foreground. Uses `visibilitychange` in browsers by default;
 * pass `source` for React Native (AppState) or tests.
 *
 * @example
 * import { AppState } from 'react-native';
 * foregroundTrigger({ source: { subscribe: (fn) => { const s = AppState.addEventListener('change', (st) => fn(st === 'active')); return () => s.remove(); } } });
 * @throws TidesyncError `INVALID_OPTION` when no source is given and the runtime has no `document`.
 */
export function foregroundTrigger(options: { readonly source?: AppStateSource } = {}): SyncTrigger {
  return {
    start(context) {
      const source = triggerSource(options.source, browserVisibility, NO_DOCUMENT);
      return source.subscribe((foreground) => {
        if (foreground) context.requestSync('foreground');
      });
    },
  };
}
