// The state source of a secondary (Primaries set): instead of reading a Mesos master, it keeps
// a copy of each followed zone by zone transfer from the primaries and swaps in the table made
// of those copies (secondary-table.ts). Per zone (RFC 1034 §4.3.5, RFC 1996):
//  - at start, AXFR from the first primary that answers, and until one does, again after a
//    short backoff;
//  - then IXFR with our serial every SOA REFRESH, every SOA RETRY after a failure, and at once on
//    a NOTIFY from a primary; an IXFR answered with the whole zone, refused, or whose changes do
//    not apply to our copy is followed by an AXFR (RFC 1995 §4);
//  - a transfer that fails (TSIG, malformed, serial going backwards per RFC 1982) is counted,
//    logged and dropped: the last good copy stays served;
//  - no contact with any primary for SOA EXPIRE: the zone is no longer answered (SERVFAIL,
//    RFC 1035 §3.3.13) until a transfer succeeds again.
// An IXFR of the Mesos zone or of a reverse zone is patched into the served table
// (secondary-patch.ts); anything else rebuilds it from the copies (secondary-table.ts). The only I/O is xfr-client.ts and the timers;
// read-transfer, zone-copy and secondary-table are pure, the patcher owns its one counting map.
import type { Config } from '../../../config/typed.js';
import { TransferInError } from '../../../errors.js';
import type { SourceHealth } from '../../../freshness.js';
import type { Logger } from '../../../log.js';
import { joinHostPort, type HostPort } from '../../../net/address.js';
import type { RecordTable } from '../../../records/table.js';
import { serialGreater } from '../serial.js';
import { isInZone } from '../../../zones/zone-names.js';
import { applyDeltas, copyOfRecords, type ZoneCopy } from './zone-copy.js';
import { ZoneRecords } from './packed-zone.js';
import { secondaryTable } from './secondary-table.js';
import { transfer, type TransferRequest } from './xfr-client.js';
import type { Transfer } from './read-transfer.js';
import { answerNotify } from './notify-in.js';
import { FailureStreak } from '../../../failure-streak.js';
import { LogSampler } from '../../../log-sampler.js';
import { SecondaryPatcher } from './secondary-patch.js';

export type TransferInType = 'axfr' | 'ixfr' | 'ixfr_full' | 'ixfr_current';
export type TransferInResult = 'ok' | TransferInError['reason'];

/** What the secondary reports to /metrics (metrics/registry.ts implements it). */
export interface SecondaryMetrics {
  transfer(type: TransferInType, result: TransferInResult): void;
  notify(result: 'accepted' | 'refused' | 'notauth' | 'tsig_error'): void;
  /** A zone's state after each refresh: the serial served, the last contact (seconds), whether it expired. */
  zone(apex: string, serial: number | undefined, lastContact: number | undefined, expired: boolean): void;
}

export interface SecondaryOptions {
  /** The running config (the TSIG keys are read per request). */
  config: () => Config;
  /** The table made of the copies; the one mutation (store.swap). `touched`: a patch of the table swapped before. */
  swap: (table: RecordTable, touched?: readonly string[]) => void;
  logger: Logger;
  health?: SourceHealth;
  metrics?: SecondaryMetrics;
  /** Seconds since the epoch. */
  now?: () => number;
  /** The transfer deadline (default 60 s) and the backoff before the first copy (1 s doubling to 30 s). */
  transferTimeoutMs?: number;
  firstRetryMs?: { initial: number; max: number };
}

interface ZoneState {
  readonly apex: string;
  copy?: ZoneCopy;
  /** When a primary last answered for this zone (seconds). */
  lastContact?: number;
  expired: boolean;
  timer?: NodeJS.Timeout;
  running?: Promise<boolean>;
  again: boolean;
  backoffMs: number;
  /** A failing refresh is logged once per streak (every primary failed), its recovery once. */
  streak: FailureStreak;
}

/** A transfer's bytes at most: far above a 100,000-task zone (~10 MB on the wire). */
const MAX_TRANSFER_BYTES = 512 * 1024 * 1024;

export class SecondarySource {
  readonly #opts: SecondaryOptions;
  readonly #log: Logger;
  readonly #primaries: readonly HostPort[];
  readonly #zones: ZoneState[];
  readonly #now: () => number;
  #closed = false;
  /** The last full build and what patches it (secondary-patch.ts); the table swapped in last. */
  #patcher: SecondaryPatcher | undefined;
  readonly #notifyLog = new LogSampler(1000);
  #served: RecordTable | undefined;

  constructor(opts: SecondaryOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'secondary' });
    const { primaries, zones } = opts.config().typed.secondary;
    this.#primaries = primaries;
    this.#now = opts.now ?? (() => Date.now() / 1000);
    const initial = opts.firstRetryMs?.initial ?? 1000;
    this.#zones = zones.map((apex) => ({ apex, expired: false, again: false, backoffMs: initial, streak: new FailureStreak(this.#log.child({ zone: apex }), `refreshing zone ${apex} from the primaries`) }));
  }

  /** The zones followed, absolute and lower-case (the Mesos zone first). */
  get zones(): readonly string[] {
    return this.#zones.map((z) => z.apex);
  }

  start(): void {
    this.#log.info({ primaries: this.#primaries.map(joinHostPort), zones: this.zones }, 'secondary: following the primaries; no Mesos master is read');
    for (const zone of this.#zones) void this.refresh(zone.apex);
  }

  /** Refreshes every zone now; resolves to whether all succeeded. */
  async refreshAll(): Promise<boolean> {
    const results = await Promise.all(this.#zones.map((z) => this.refresh(z.apex)));
    return results.every(Boolean);
  }

  /** Refreshes `apex` now (a NOTIFY, a timer); one refresh per zone at a time, one more queued. */
  refresh(apex: string): Promise<boolean> {
    const zone = this.#zones.find((z) => z.apex === apex);
    if (zone === undefined || this.#closed) return Promise.resolve(false);
    if (zone.running !== undefined) {
      zone.again = true;
      return zone.running;
    }
    const run = async (): Promise<boolean> => {
      let ok = false;
      do {
        zone.again = false;
        ok = await this.#refreshOnce(zone);
      } while (zone.again && !this.#closed);
      return ok;
    };
    zone.running = run().finally(() => {
      zone.running = undefined;
    });
    return zone.running;
  }

  /** A NOTIFY from `client` (an IP): the reply messages (notify-in.ts), and a refresh of the zone when taken. */
  notify(buf: Buffer, client: string): Buffer[] | null {
    const verdict = answerNotify(buf, client, this.#opts.config(), this.zones, this.#primaries.map((p) => p.host), this.#now());
    this.#opts.metrics?.notify(verdict.result);
    if (verdict.zone !== undefined) {
      this.#log.debug({ zone: verdict.zone, client }, 'NOTIFY: refreshing the zone');
      void this.refresh(verdict.zone);
    } else {
      // Anyone can send one: a line a second at most (the metric counts every one).
      this.#notifyLog.write(this.#log, 'warn', { client, result: verdict.result }, 'NOTIFY not taken');
    }
    return verdict.reply === null ? null : [verdict.reply];
  }

  close(): void {
    this.#closed = true;
    for (const zone of this.#zones) clearTimeout(zone.timer);
  }

  async #refreshOnce(zone: ZoneState): Promise<boolean> {
    clearTimeout(zone.timer);
    let lastError: unknown;
    for (const primary of this.#primaries) {
      if (this.#closed) return false;
      try {
        await this.#transferFrom(zone, primary);
        zone.lastContact = this.#now();
        zone.backoffMs = this.#opts.firstRetryMs?.initial ?? 1000;
        if (zone.expired) {
          zone.expired = false;
          this.#log.info({ zone: zone.apex, serial: zone.copy?.soa.serial }, 'zone answered again: a primary is back');
          this.#publish();
        }
        zone.streak.ok();
        this.#report(zone);
        this.#opts.health?.ok();
        this.#schedule(zone, (zone.copy?.soa.refresh ?? 60) * 1000);
        return true;
      } catch (err) {
        lastError = err;
        this.#log.debug({ zone: zone.apex, primary: joinHostPort(primary), serial: zone.copy?.soa.serial, err: (err as Error).message }, 'zone transfer from a primary failed');
      }
    }
    zone.streak.fail(lastError);
    this.#opts.health?.failed(lastError);
    this.#checkExpiry(zone);
    this.#report(zone);
    if (zone.copy === undefined) {
      // No copy yet: try again soon, backing off, rather than waiting for an SOA we do not have.
      const wait = zone.backoffMs;
      zone.backoffMs = Math.min(wait * 2, this.#opts.firstRetryMs?.max ?? 30_000);
      this.#schedule(zone, wait);
    } else if (!zone.expired && zone.lastContact !== undefined) {
      // At RETRY, or at the EXPIRE deadline when that comes first (#checkExpiry then acts on it).
      const untilExpiry = (zone.lastContact + zone.copy.soa.expire - this.#now()) * 1000;
      this.#schedule(zone, Math.min(zone.copy.soa.retry * 1000, untilExpiry + 10));
    } else {
      this.#schedule(zone, zone.copy.soa.retry * 1000);
    }
    return false;
  }

  #schedule(zone: ZoneState, ms: number): void {
    if (this.#closed) return;
    clearTimeout(zone.timer);
    // Node timers take at most 2^31-1 ms; an SOA timer is at most a 32-bit count of seconds.
    zone.timer = setTimeout(() => void this.refresh(zone.apex), Math.min(Math.max(ms, 100), 2 ** 31 - 1));
    zone.timer.unref();
  }

  /** RFC 1035 §3.3.13: no contact for EXPIRE seconds and the zone is no longer authoritative. */
  #checkExpiry(zone: ZoneState): void {
    if (zone.copy === undefined || zone.expired || zone.lastContact === undefined) return;
    if (this.#now() - zone.lastContact < zone.copy.soa.expire) return;
    zone.expired = true;
    this.#log.error({ zone: zone.apex, serial: zone.copy.soa.serial, expireSeconds: zone.copy.soa.expire }, 'zone expired: no primary answered for SOA EXPIRE; answering SERVFAIL for it');
    this.#publish();
  }

  #report(zone: ZoneState): void {
    this.#opts.metrics?.zone(zone.apex, zone.copy?.soa.serial, zone.lastContact, zone.expired);
  }

  /** One transfer from `primary`, into `zone.copy`; throws TransferInError. */
  async #transferFrom(zone: ZoneState, primary: HostPort): Promise<void> {
    const key = this.#key();
    const request = (serial: number | undefined): TransferRequest => ({
      primary,
      apex: zone.apex,
      serial,
      key,
      timeoutMs: this.#opts.transferTimeoutMs ?? 60_000,
      maxBytes: MAX_TRANSFER_BYTES,
      now: this.#now,
    });
    const run = transfer;
    const count = (type: TransferInType, result: TransferInResult): void => this.#opts.metrics?.transfer(type, result);
    const copy = zone.copy;
    if (copy !== undefined) {
      let t: Transfer;
      try {
        t = await run(request(copy.soa.serial));
      } catch (err) {
        const reason = err instanceof TransferInError ? err.reason : 'error';
        count('ixfr', reason);
        // RFC 1995 §4: a primary that will not answer IXFR may still answer AXFR.
        if (reason !== 'refused') throw err;
        return this.#axfr(zone, await this.#counted('axfr', () => run(request(undefined))));
      }
      if (t.kind === 'current') {
        // §4: the SOA alone with a newer serial (a reply cut short) means "fetch it all".
        if (serialGreater(t.soa.data.serial, copy.soa.serial)) {
          count('ixfr_current', 'ok');
          return this.#axfr(zone, await this.#counted('axfr', () => run(request(undefined))));
        }
        count('ixfr_current', 'ok');
        return;
      }
      if (t.kind === 'full') {
        this.#take(zone, t, 'ixfr_full');
        return;
      }
      try {
        this.#take(zone, t, 'ixfr');
      } catch (err) {
        // Changes that do not apply to our copy: the whole zone instead.
        if (!(err instanceof TransferInError) || err.reason !== 'malformed') throw err;
        this.#log.warn({ zone: zone.apex, serial: copy.soa.serial, err: err.message }, 'IXFR does not apply to our copy; asking for the whole zone');
        return this.#axfr(zone, await this.#counted('axfr', () => run(request(undefined))));
      }
      return;
    }
    this.#axfr(zone, await this.#counted('axfr', () => run(request(undefined))));
  }

  async #counted(type: TransferInType, run: () => Promise<Transfer>): Promise<Transfer> {
    try {
      return await run();
    } catch (err) {
      this.#opts.metrics?.transfer(type, err instanceof TransferInError ? err.reason : 'error');
      throw err;
    }
  }

  #axfr(zone: ZoneState, t: Transfer): void {
    if (t.kind === 'incremental') throw new TransferInError('malformed', 'changes in answer to AXFR');
    this.#take(zone, t.kind === 'current' ? { kind: 'full', soa: t.soa, records: new ZoneRecords(zone.apex) } : t, 'axfr');
  }

  /** Accepts a transfer into the zone's copy and publishes; throws (counted) when it is rejected. */
  #take(zone: ZoneState, t: Transfer, type: TransferInType): void {
    const count = (result: TransferInResult): void => this.#opts.metrics?.transfer(type, result);
    const old = zone.copy;
    let next: ZoneCopy;
    try {
      if (t.kind === 'incremental') {
        next = applyDeltas(old!, t.soa, t.deltas);
      } else if (t.kind === 'full') {
        if (old !== undefined && t.soa.data.serial === old.soa.serial) {
          count('ok');
          return;
        }
        // RFC 1982: a serial that does not go forward is an older version: keep ours.
        if (old !== undefined && !serialGreater(t.soa.data.serial, old.soa.serial)) {
          throw new TransferInError('stale_serial', `serial ${t.soa.data.serial} is not newer than ours (${old.soa.serial})`);
        }
        next = copyOfRecords(t.soa, t.records);
      } else {
        return;
      }
    } catch (err) {
      // A rejected IXFR is followed by an AXFR (the caller), counted on its own.
      count(err instanceof TransferInError ? err.reason : 'error');
      throw err;
    }
    count('ok');
    zone.copy = next;
    this.#log[type === 'ixfr' ? 'debug' : 'info']({ zone: zone.apex, type, serial: next.soa.serial, previous: old?.soa.serial, owners: next.owners.size }, 'zone transferred in');
    if (t.kind === 'incremental' && old !== undefined && this.#patch(zone, old, next, t)) return;
    this.#publish();
  }

  /** An IXFR patched into the served table (the Mesos zone's names, or a reverse zone's PTRs); false when it must be built in full. */
  #patch(zone: ZoneState, before: ZoneCopy, after: ZoneCopy, t: Extract<Transfer, { kind: 'incremental' }>): boolean {
    if (this.#closed || this.#patcher === undefined || this.#served === undefined) return false;
    if (this.#zones.some((z) => z.expired)) return false;
    const owners = new Set<string>();
    for (const d of t.deltas) for (const r of [...d.removed, ...d.added]) if (isInZone(r.owner, zone.apex)) owners.add(r.owner);
    const patch = zone === this.#zones[0] ? this.#patcher.patch(this.#served, before, after, owners) : this.#patcher.patchReverse(this.#served, before, after, owners);
    if (patch === undefined) return false;
    this.#served = patch.table;
    this.#opts.swap(patch.table, patch.touched);
    return true;
  }

  /** The table of every zone's copy, swapped in; nothing before the Mesos zone's first copy. */
  #publish(): void {
    if (this.#closed) return;
    const [mesos, ...reverse] = this.#zones;
    if (mesos.copy === undefined) return;
    const config = this.#opts.config();
    const copies = reverse.filter((z) => z.copy !== undefined).map((z) => z.copy!);
    const expired = this.#zones.filter((z) => z.expired && z.copy !== undefined).map((z) => z.apex);
    const { table, leftOut } = secondaryTable(mesos.copy, copies, config.SRVRecordDefaultWeight, expired);
    for (const [apex, n] of leftOut) this.#log.debug({ zone: apex, records: n }, 'records of types the table does not hold were left out');
    this.#patcher = new SecondaryPatcher(table, mesos.copy, copies);
    this.#served = table;
    this.#opts.swap(table);
  }

  #key() {
    const config = this.#opts.config();
    const name = config.typed.transfer.requiredKey;
    return name === undefined ? undefined : config.typed.transfer.keys.find((k) => k.name === name);
  }
}
