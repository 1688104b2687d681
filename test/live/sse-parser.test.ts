import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src/core/index.js';

describe('SseParser', () => {
  it('parses events split anywhere across chunks, with LF, CRLF and CR line ends', () => {
    const text =
      'event: poke\ndata: {"position":1}\n\r\n: heartbeat comment\r\nevent: ping\r\ndata: a\rdata: b\r\r';
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(events).toEqual([
        { event: 'poke', data: '{"position":1}' },
        { event: 'ping', data: 'a\nb' },
      ]);
    }
  });

  it('names an unnamed event `message` and skips events without data', () => {
    const parser = new SseParser();
    expect(parser.push('event: empty\n\ndata:x\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('refuses a line longer than maxEventBytes instead of buffering it', () => {
    const parser = new SseParser(100);
    expect(() => parser.push(`data: ${'x'.repeat(200)}`)).toThrow(
      expect.objectContaining({ code: 'PROTOCOL_ERROR' }),
    );
    const lines = new SseParser(100);
    expect(() => lines.push(`${'data: 0123456789\n'.repeat(20)}\n`)).toThrow(
      expect.objectContaining({ code: 'PROTOCOL_ERROR' }),
    );
  });
});
