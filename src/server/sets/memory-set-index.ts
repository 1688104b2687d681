import type { SetIndexKey, SetIndexQuery, SetIndexWrite } from './set-index.js';
import { mergeSetKeys } from './set-index.js';
import { firstAfter } from '../position-search.js';

interface IndexEntry {
  readonly position: number;
  readonly id: string;
  readonly row: string;
}

const SEP = '\u0000';

/**
 * The memory store's set index: each row's current position, and one ascending position log
 * per (collection, partition, field, value), so a range read starts with a binary search.
 * Entries whose row has moved on are skipped and compacted away like the feed's.
 */
export class MemorySetIndex {
  readonly #rows = new Map<string, number>();
  readonly #logs = new Map<string, { entries: IndexEntry[]; stale: number }>();

  /** Bumps the rows of `write` to `position` (greater than every position before it). */
  put(write: SetIndexWrite, position: number): void {
    for (const key of write.keys) {
      const log = this.#logOf(write.collection, write.partition, key);
      const row = `${log.name}${SEP}${write.id}`;
      if (this.#rows.has(row)) log.log.stale += 1;
      this.#rows.set(row, position);
      log.log.entries.push({ position, id: write.id, row });
      if (log.log.stale > log.log.entries.length - log.log.stale + 64) {
        log.log.entries = log.log.entries.filter((e) => this.#rows.get(e.row) === e.position);
        log.log.stale = 0;
      }
    }
  }

  /** Rows of the range by ascending position, at most `limit`. */
  range(query: SetIndexQuery, limit: number): IndexEntry[] {
    const found: IndexEntry[] = [];
    for (const value of new Set(query.values)) {
      const name = [query.collection, query.partition, query.field, value].join(SEP);
      const log = this.#logs.get(name);
      if (!log) continue;
      let taken = 0;
      for (let i = firstAfter(log.entries, query.after); i < log.entries.length; i++) {
        const entry = log.entries[i]!;
        if (this.#rows.get(entry.row) !== entry.position) continue;
        found.push(entry);
        if (++taken >= limit) break;
      }
    }
    return found.sort((a, b) => a.position - b.position).slice(0, limit);
  }

  /** Records with a row in the range, each once. */
  count(query: SetIndexQuery): number {
    return new Set(this.range(query, Number.MAX_SAFE_INTEGER).map((e) => e.id)).size;
  }

  #logOf(
    collection: string,
    partition: string,
    key: SetIndexKey,
  ): { name: string; log: { entries: IndexEntry[]; stale: number } } {
    const name = [collection, partition, key.field, key.value].join(SEP);
    let log = this.#logs.get(name);
    if (!log) {
      log = { entries: [], stale: 0 };
      this.#logs.set(name, log);
    }
    return { name, log };
  }
}

/** Set-index writes held by one transaction, one per record (keys of several writes merged). */
export class PendingSetKeys {
  readonly #writes = new Map<string, SetIndexWrite>();

  add(write: SetIndexWrite): void {
    const k = `${write.collection}${SEP}${write.id}`;
    const held = this.#writes.get(k);
    this.#writes.set(k, held ? { ...write, keys: mergeSetKeys(held.keys, write.keys) } : write);
  }

  /** The held write of a record, if any. */
  get(collection: string, id: string): SetIndexWrite | undefined {
    return this.#writes.get(`${collection}${SEP}${id}`);
  }

  all(): SetIndexWrite[] {
    return [...this.#writes.values()];
  }

  get size(): number {
    return this.#writes.size;
  }
}
