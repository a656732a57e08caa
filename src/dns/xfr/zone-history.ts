// Where each zone's serial and IXFR journal come from (main thread; publish.ts calls admit() with
// every new table before it is swapped in). With transfers off (no AllowTransfer, no Notify) the
// table passes through unchanged: the serial stays mesos-dns's, one per swap. With them on, each
// zone (the Mesos zone, each reverse zone) is compared with its version in the served table
// (diff.ts), and on its own:
//  - unchanged: it keeps its serial (a swap that changes nothing in a zone is no new version of
//    it for a secondary to fetch);
//  - changed or new: serial max(unix time, its previous + 1, SerialFile + 1) (serial.ts), and
//    the delta joins its journal.
// SerialFile keeps the largest serial given, written before the table is served, so after a
// restart every zone starts above anything served before.
import type { Config } from '../../config/typed.js';
import type { Logger } from '../../log.js';
import type { RecordTable } from '../../records/table.js';
import { diffZone, soaFieldsChanged, type ZoneDelta } from './diff.js';
import { Journal } from './journal.js';
import { nextSerial, serialGreater } from './serial.js';
import { readSerialFile, writeSerialFile } from './serial-file.js';
import { withSerials, zonesOf } from './zones.js';

/**
 * Records one change may have to be journaled (a record object is about 200 bytes): a change past
 * it (every address of a large cluster moving) is not kept, and clients get the whole zone.
 */
const MAX_DELTA_RECORDS = 100_000;
/** Records a zone's journal holds at most, over all its entries (the oldest go first). */
const MAX_JOURNAL_RECORDS = 500_000;

export interface ZoneHistoryOptions {
  config: () => Config;
  /** Seconds since the epoch. */
  now?: () => number;
  logger?: Logger;
}

export class ZoneHistory {
  readonly #config: () => Config;
  readonly #now: () => number;
  readonly #log: Logger | undefined;
  readonly #journals = new Map<string, Journal>();
  /** Milliseconds the last diff took (the benchmark and a debug line read it). */
  lastDiffMs = 0;

  constructor(options: ZoneHistoryOptions) {
    this.#config = options.config;
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#log = options.logger?.child({ component: 'zone-history' });
  }

  /** The journal of `apex` (absolute, lower-case); empty when none was kept. */
  journal(apex: string): Journal {
    let j = this.#journals.get(apex);
    if (j === undefined) this.#journals.set(apex, (j = new Journal()));
    return j;
  }

  /**
   * `next` with the serials it is served with, `current` being the table served now. Throws when
   * SerialFile cannot be written (the build then fails, and the current table stays).
   */
  admit(current: RecordTable | undefined, next: RecordTable): RecordTable {
    const config = this.#config();
    if (!config.typed.transfer.on) {
      this.#journals.clear();
      return next;
    }
    const started = performance.now();
    const before = current === undefined ? undefined : zonesOf(current);
    const after = zonesOf(next);
    const file = config.SerialFile;
    const floor = file === '' ? undefined : readSerialFile(file);
    const now = this.#now();
    const max = config.IxfrJournalSize;
    const serials = new Map<string, number>();
    let newest: number | undefined;
    for (const [apex, zone] of after) {
      const old = before?.get(apex);
      const delta = old === undefined ? undefined : diffZone(old, zone, MAX_DELTA_RECORDS);
      const changed = old === undefined || delta!.overflow || delta!.removed.length > 0 || delta!.added.length > 0 || soaFieldsChanged(old, zone);
      if (!changed) {
        serials.set(apex, old.soa.serial);
        continue;
      }
      const serial = nextSerial(old?.soa.serial, now, floor);
      serials.set(apex, serial);
      if (newest === undefined || serialGreater(serial, newest)) newest = serial;
      if (old === undefined || delta === undefined || delta.overflow) this.journal(apex).clear();
      else this.journal(apex).add({ from: old.soa.serial, to: serial, removed: delta.removed, added: delta.added }, max, MAX_JOURNAL_RECORDS);
    }
    for (const apex of this.#journals.keys()) if (!after.has(apex)) this.#journals.delete(apex);
    // Written before any table carrying the new serials is served (the caller swaps after this).
    if (file !== '' && newest !== undefined && (floor === undefined || serialGreater(newest, floor))) writeSerialFile(file, newest);
    this.lastDiffMs = performance.now() - started;
    if (newest !== undefined) this.#log?.debug({ serials: Object.fromEntries(serials), diffMs: Math.round(this.lastDiffMs) }, 'zones changed');
    return withSerials(next, serials);
  }
}
