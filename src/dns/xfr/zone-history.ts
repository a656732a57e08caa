// Where each zone's serial and IXFR journal come from (main thread; publish.ts calls admit() with
// every new table before it is swapped in). With transfers off (no AllowTransfer, no Notify) the
// table passes through unchanged: the serial stays mesos-dns's, one per swap. With them on:
//  - the new table's zones are compared with the current table's (diff.ts);
//  - no zone changed: the table gets the current serial again (a swap that changes nothing is
//    no new version for a secondary to fetch);
//  - else a new serial, max(unix time, previous + 1, SerialFile + 1) (serial.ts), written to
//    SerialFile first when one is set, and each zone's delta joins its journal.
// The zones of one table share one serial (their SOAs are the Mesos zone's, reverse-lookup.ts):
// a change in one moves the serial of all, and the others record an empty delta, which an IXFR
// client receives as just the two SOAs.
import type { Config } from '../../config/typed.js';
import type { Logger } from '../../log.js';
import type { RecordTable } from '../../records/table.js';
import { diffZone, soaFieldsChanged, type ZoneDelta } from './diff.js';
import { Journal } from './journal.js';
import { nextSerial } from './serial.js';
import { readSerialFile, writeSerialFile } from './serial-file.js';
import { withSerial, zonesOf } from './zones.js';

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
   * `next` with the serial it is served with, `current` being the table served now. Throws when
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
    const deltas = new Map<string, ZoneDelta>();
    let changed = before === undefined;
    for (const [apex, zone] of after) {
      const old = before?.get(apex);
      if (old === undefined) {
        changed = true;
        continue;
      }
      const delta = diffZone(old, zone);
      deltas.set(apex, delta);
      if (delta.removed.length > 0 || delta.added.length > 0 || soaFieldsChanged(old, zone)) changed = true;
    }
    if (before !== undefined) for (const apex of before.keys()) if (!after.has(apex)) changed = true;
    this.lastDiffMs = performance.now() - started;
    if (!changed && current !== undefined) return withSerial(next, current.soa.serial);

    const file = config.SerialFile;
    const previous = current?.soa.serial;
    const serial = nextSerial(previous, this.#now(), file === '' ? undefined : readSerialFile(file));
    if (file !== '') writeSerialFile(file, serial);
    const max = config.IxfrJournalSize;
    for (const apex of after.keys()) {
      const delta = deltas.get(apex);
      if (delta === undefined || previous === undefined) this.journal(apex).clear();
      else this.journal(apex).add({ from: previous, to: serial, ...delta }, max);
    }
    for (const apex of this.#journals.keys()) if (!after.has(apex)) this.#journals.delete(apex);
    this.#log?.debug({ serial, previous, diffMs: Math.round(this.lastDiffMs) }, 'zones changed');
    return withSerial(next, serial);
  }
}
