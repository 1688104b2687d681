import type { FeedRange } from './feed-ranges.js';
import { feedRanges } from './feed-ranges.js';
import { firstAfter } from './position-search.js';
import type { ChangeFilter } from './server-store.js';

interface LogEntry {
  readonly position: number;
  readonly key: string;
}

/**
 * Positions of one slice of the feed (all; one owner; one owner in one collection; one
 * collection), ascending.
 */
class FeedLog {
  entries: LogEntry[] = [];
  /** Entries whose record has moved on to a later position. */
  stale = 0;

  /** Entries after `after` whose position is still their record's current one, at most `limit`. */
  after(after: number, limit: number, isLive: (entry: LogEntry) => boolean): LogEntry[] {
    const { entries } = this;
    const out: LogEntry[] = [];
    for (let i = firstAfter(entries, after); i < entries.length && out.length < limit; i++) {
      if (isLive(entries[i]!)) out.push(entries[i]!);
    }
    return out;
  }

  /** Drops stale entries once they outnumber live ones: amortised O(1) per write. */
  compact(isLive: (entry: LogEntry) => boolean): void {
    if (this.stale <= this.entries.length - this.stale + 64) return;
    this.entries = this.entries.filter(isLive);
    this.stale = 0;
  }
}

/**
 * The memory store's change feed: each record's current position, and position logs for the
 * whole feed, per owner, per owner and collection, and per collection, so a page (filtered or
 * not) reads only its ranges' logs (as the SQL stores read index ranges, see feed-ranges.ts)
 * and starts each with a binary search instead of a walk from the start of the feed.
 */
export class MemoryFeed {
  /** Record key to its current position and the slices it is logged in. */
  readonly #current = new Map<string, { position: number; slices: readonly string[] }>();
  readonly #logs = new Map<string, FeedLog>();
  readonly #isLive = (entry: LogEntry): boolean =>
    this.#current.get(entry.key)?.position === entry.position;

  /** Moves a record to `position` (greater than every position before it). */
  append(key: string, position: number, ownerId: string, collection: string): void {
    const previous = this.#current.get(key);
    if (previous) for (const slice of previous.slices) this.#log(slice).stale += 1;
    const slices = [
      '*',
      sliceOf({ ownerId }),
      sliceOf({ ownerId, collection }),
      sliceOf({ collection }),
    ];
    this.#current.set(key, { position, slices });
    for (const slice of slices) {
      const log = this.#log(slice);
      log.entries.push({ position, key });
      log.compact(this.#isLive);
    }
  }

  /** Keys and positions of a page: after `after`, ascending, at most `limit`. */
  page(after: number, limit: number, filter?: ChangeFilter): LogEntry[] {
    if (!filter) return this.#logs.get('*')?.after(after, limit, this.#isLive) ?? [];
    const slices = feedRanges(filter).map(sliceOf);
    const found = new Map<number, LogEntry>();
    for (const slice of slices) {
      for (const entry of this.#logs.get(slice)?.after(after, limit, this.#isLive) ?? []) {
        found.set(entry.position, entry);
      }
    }
    return [...found.values()].sort((a, b) => a.position - b.position).slice(0, limit);
  }

  /** How many records have their current position after `after` (within `filter`). */
  count(after: number, filter?: ChangeFilter): number {
    return this.page(after, Number.MAX_SAFE_INTEGER, filter).length;
  }

  #log(slice: string): FeedLog {
    let log = this.#logs.get(slice);
    if (!log) {
      log = new FeedLog();
      this.#logs.set(slice, log);
    }
    return log;
  }
}

/** The log key of a range. */
function sliceOf(range: FeedRange): string {
  if (range.ownerId === undefined) return `c\u0000${range.collection ?? ''}`;
  if (range.collection === undefined) return `o\u0000${range.ownerId}`;
  return `oc\u0000${range.ownerId}\u0000${range.collection}`;
}
