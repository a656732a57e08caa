// The IXFR journal of one zone (RFC 1995 §4): the last changes, each the delta from one serial
// to the next, bounded by IxfrJournalSize entries and by a total of records (zone-history.ts). A client whose serial is the start of an
// entry gets the entries from there on; any other serial gets a full transfer. Pure data.
import type { ZoneDelta } from './diff.js';

export interface JournalEntry extends ZoneDelta {
  from: number;
  to: number;
}

export class Journal {
  #entries: JournalEntry[] = [];

  get size(): number {
    return this.#entries.length;
  }

  /**
   * Records one change; drops the oldest beyond `max` entries (0 keeps none) or `maxRecords`
   * records over all entries. A gap in the chain restarts it.
   */
  add(entry: JournalEntry, max: number, maxRecords = Infinity): void {
    const last = this.#entries.at(-1);
    if (last !== undefined && last.to !== entry.from) this.#entries = [];
    this.#entries.push(entry);
    if (this.#entries.length > max) this.#entries.splice(0, this.#entries.length - max);
    let records = this.#entries.reduce((n, e) => n + e.removed.length + e.added.length, 0);
    while (records > maxRecords && this.#entries.length > 0) {
      const dropped = this.#entries.shift()!;
      records -= dropped.removed.length + dropped.added.length;
    }
  }

  clear(): void {
    this.#entries = [];
  }

  /** The changes from `serial` to the newest, in order; undefined when `serial` starts none. */
  since(serial: number): readonly JournalEntry[] | undefined {
    const at = this.#entries.findIndex((e) => e.from === serial >>> 0);
    return at < 0 ? undefined : this.#entries.slice(at);
  }

  /** The serial the newest entry leads to. */
  newest(): number | undefined {
    return this.#entries.at(-1)?.to;
  }
}
