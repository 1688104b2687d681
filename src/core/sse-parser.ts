import { ProtocolError } from './errors.js';
import type { StreamEvent } from './transport.js';

/**
 * An incremental parser of `text/event-stream` text (the WHATWG server-sent-events format):
 * feed it decoded chunks as they arrive, get back the events they complete. Lines may end in
 * `\n`, `\r\n` or `\r`, and may be split across chunks; comment lines (`:`) are heartbeats and
 * yield nothing. A line or an event longer than `maxEventBytes` is refused, so a hostile server
 * cannot make the client buffer without bound.
 */
export class SseParser {
  readonly #maxEventChars: number;
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #dataChars = 0;
  #afterCr = false;

  /** `maxEventBytes` bounds one event (its data lines together). @default 65536 */
  constructor(maxEventBytes = 65_536) {
    this.#maxEventChars = maxEventBytes;
  }

  /**
   * Parses the next chunk.
   * @throws ProtocolError `PROTOCOL_ERROR` when a line or event passes `maxEventBytes`.
   */
  push(chunk: string): StreamEvent[] {
    const events: StreamEvent[] = [];
    let text = chunk;
    // A `\r\n` split across chunks: the `\r` ended the line already.
    if (this.#afterCr && text.startsWith('\n')) text = text.slice(1);
    this.#afterCr = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const char = text.charCodeAt(i);
      if (char !== 10 && char !== 13) continue;
      this.#line(this.#buffer + text.slice(start, i), events);
      this.#buffer = '';
      if (char === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i += 1;
        } else {
          this.#afterCr = true;
        }
      }
      start = i + 1;
    }
    this.#buffer += text.slice(start);
    if (this.#buffer.length > this.#maxEventChars) throw tooLong(this.#maxEventChars);
    return events;
  }

  #line(line: string, events: StreamEvent[]): void {
    if (line === '') {
      if (this.#data.length > 0)
        events.push({ event: this.#event || 'message', data: this.#data.join('\n') });
      this.#event = '';
      this.#data = [];
      this.#dataChars = 0;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') {
      this.#dataChars += value.length + 1;
      if (this.#dataChars > this.#maxEventChars) throw tooLong(this.#maxEventChars);
      this.#data.push(value);
    }
    // `id` and `retry` are not used: the pull cursor is the resume point, and the client
    // chooses its own reconnect delay (with jitter).
  }
}

function tooLong(maxEventChars: number): ProtocolError {
  return new ProtocolError(
    `The sync server sent a live event longer than ${maxEventChars} characters; the stream was closed. Check that the live URL points at a tidesync server.`,
  );
}
