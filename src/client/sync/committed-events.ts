import type { EmitEvent } from '../client-context.js';

/** Events held until their transaction commits: see {@link committedEvents}. */
export interface CommittedEvents {
  /** Holds an event until {@link CommittedEvents.flush}. */
  readonly emit: EmitEvent;
  /** Emits the held events in order, once (call it after the commit). */
  flush(): void;
}

/**
 * Events about what a transaction stores (`conflict`, `deadLetter`), held until it commits:
 * a handler that reads the client (`conflicts()`, `deadLetters()`) then finds what it was told
 * about. Events of a transaction that rolled back are never emitted (what they reported was
 * not stored).
 *
 * @example
 * const events = committedEvents(ctx.emit);
 * await storage.transaction('readwrite', (tx) => work(tx, events.emit));
 * events.flush();
 */
export function committedEvents(target: EmitEvent): CommittedEvents {
  let held: (() => void)[] = [];
  return {
    emit: (event, ...args) => {
      held.push(() => target(event, ...args));
    },
    flush() {
      const now = held;
      held = [];
      for (const send of now) send();
    },
  };
}
