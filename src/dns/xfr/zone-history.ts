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
// Static zones (admitStatic, called before each zone-file swap) keep their file's own serial: a
// new version whose serial is raised joins the zone's journal (from the old file serial to the
// new); one whose content changed without a raised serial is served all the same, as BIND loads
// it, with a warning, and its journal is emptied (an IXFR could not name the change).
import type { Config } from '../../config/typed.js';
import type { Logger } from '../../log.js';
import type { RecordTable } from '../../records/table.js';
import { diffZone, soaFieldsChanged, type ZoneDelta } from './diff.js';
import { Journal } from './journal.js';
import { nextSerial, serialGreater } from './serial.js';
import { readSerialFile, writeSerialFile } from './serial-file.js';
import { withSerials, zonesOf, type TransferZone } from './zones.js';
import { StaticTransferZone, staticTransferZone } from './static-zone.js';
import type { StaticZones } from '../../zones/static-zones.js';

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
  /** Static zones' journals, apart: a static zone may share its apex with a reverse zone. */
  readonly #staticJournals = new Map<string, Journal>();
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

  /** The journal `zone` is served from (a static zone's or a table zone's). */
  journalOf(zone: TransferZone): Journal {
    if (!(zone instanceof StaticTransferZone)) return this.journal(zone.apex);
    let j = this.#staticJournals.get(zone.apex);
    if (j === undefined) this.#staticJournals.set(zone.apex, (j = new Journal()));
    return j;
  }

  /**
   * Records the change from the static zones served (`current`) to `next`, about to be swapped
   * in: each zone file version whose serial rose joins its zone's journal. Serials stay the files'.
   */
  admitStatic(current: StaticZones, next: StaticZones): void {
    const config = this.#config();
    if (!config.typed.transfer.on) {
      this.#staticJournals.clear();
      return;
    }
    for (const apex of this.#staticJournals.keys()) if (!next.zones.has(apex)) this.#staticJournals.delete(apex);
    for (const [apex, zone] of next.zones) {
      const old = current.zones.get(apex);
      if (old === zone) continue;
      const after = staticTransferZone(zone);
      const journal = this.journalOf(after);
      if (old === undefined) {
        journal.clear();
        continue;
      }
      const before = staticTransferZone(old);
      const delta = diffZone(before, after, MAX_DELTA_RECORDS);
      const changed = delta.overflow || delta.removed.length > 0 || delta.added.length > 0 || soaFieldsChanged(before, after) || before.ttl !== after.ttl;
      const from = before.soa.serial;
      const to = after.soa.serial;
      if (from === to && !changed) continue;
      if (!serialGreater(to, from)) {
        // RFC 1982: a secondary takes a version only when its serial is greater; it keeps the old one.
        this.#log?.warn(
          { zone: apex, file: after.file, serial: to, previous: from },
          to === from ? 'zone file changed without raising its SOA serial: served, but secondaries keep the old version until the serial rises' : 'zone file SOA serial went backwards: served, but secondaries keep the old version until the serial passes theirs',
        );
        journal.clear();
        continue;
      }
      if (delta.overflow) journal.clear();
      else journal.add({ from, to, removed: delta.removed, added: delta.added }, config.IxfrJournalSize, MAX_JOURNAL_RECORDS);
      this.#log?.debug({ zone: apex, from, to, removed: delta.removed.length, added: delta.added.length }, 'static zone changed');
    }
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
