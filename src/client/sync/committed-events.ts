import type { EmitEvent } from '../client-context.js';

/**
 * Events about what a transaction stores (`conflict`, `deadLetter`), held until it commits:
 * a handler that reads the client (`conflicts()`, `deadLetters()`) then finds what it was told
 * about. Events of a transaction that rolled back are never emitted (what they reported was
 * not stored).
 *
 * @example
 * const events = new CommittedEvents(ctx.emit);
 * await storage.transaction('readwrite', (tx) => work(tx, events.emit));
 * events.flush();
 */
export class CommittedEvents {
  readonly #target: EmitEvent;
  #held: (() => void)[] = [];

  constructor(target: EmitEvent) {
    this.#target = target;
  }

  /** Holds an event until {@link CommittedEvents.flush}. */
  readonly emit: EmitEvent = (event, ...args) => {
    this.#held.push(() => this.#target(event, ...args));
  };

  /** Emits the held events in order, once (call it after the commit). */
  flush(): void {
    const held = this.#held;
    this.#held = [];
    for (const send of held) send();
  }
}
