// Reading a zone transfer in (secondary mode): one reply message -> its records, and the
// records of a whole reply stream -> what the primary sent: the zone (AXFR, RFC 5936 §2.2), the
// changes (IXFR, RFC 1995 §4), or "you are current" (the SOA alone). Pure; a message or a
// sequence that does not hold together throws TransferInError('malformed').
import { TransferInError } from '../../../errors.js';
import { canonicalIP } from '../../../net/address.js';
import { GENERIC_RDATA, QCLASS, QTYPE, type RData, type TsigRecord } from '../../wire/message.js';
import { readName } from '../../wire/name-wire.js';
import { scanMessage, type ScannedRecord } from '../../wire/reply-scan.js';
import { readTsig } from '../../wire/tsig.js';
import { ZoneRecords } from './packed-zone.js';
import { WireZoneReader } from './read-zone-records.js';

type SoaRData = Extract<RData, { type: typeof QTYPE.SOA }>;

/** One record of a transfer: owner absolute and lower-case, names in RDATA lower-cased too (RFC 4343). */
export interface WireRecord {
  readonly owner: string;
  readonly ttl: number;
  readonly data: RData;
}

export interface ReadMessage {
  id: number;
  qr: boolean;
  opcode: number;
  rcode: number;
  /** The answer section (a transfer's records), TSIG excluded. */
  answers: WireRecord[];
  /** The TSIG RR, when the message ends with one, and where it starts. */
  tsig?: { at: number; record: TsigRecord };
}

function malformed(what: string): never {
  throw new TransferInError('malformed', `malformed transfer message: ${what}`);
}

const absolute = (name: string): string => (name === '' ? '.' : `${name.toLowerCase()}.`);

function nameAt(buf: Buffer, at: number, end: number): { name: string; next: number } {
  const r = readName(buf.subarray(0, end), at);
  if (!r.ok) malformed('a name does not parse');
  return { name: absolute(r.name), next: r.next };
}

/** RDATA [at, end) of `type` as RData; types the table cannot hold are kept as bytes. */
function readRdata(buf: Buffer, type: number, at: number, end: number): RData {
  const need = (n: number): void => {
    if (end - at !== n) malformed(`RDATA of type ${type} is ${end - at} octets, not ${n}`);
  };
  switch (type) {
    case QTYPE.A:
      need(4);
      return { type: QTYPE.A, address: `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}` };
    case QTYPE.AAAA: {
      need(16);
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(at + i).toString(16));
      return { type: QTYPE.AAAA, address: canonicalIP(groups.join(':')) ?? malformed('an AAAA address') };
    }
    case QTYPE.SRV: {
      if (end - at < 7) malformed('SRV RDATA too short');
      const target = nameAt(buf, at + 6, end);
      if (target.next !== end) malformed('SRV RDATA length');
      return { type: QTYPE.SRV, priority: buf.readUInt16BE(at), weight: buf.readUInt16BE(at + 2), port: buf.readUInt16BE(at + 4), target: target.name };
    }
    case QTYPE.NS:
    case QTYPE.PTR:
    case QTYPE.CNAME: {
      const target = nameAt(buf, at, end);
      if (target.next !== end) malformed('RDATA length');
      return { type, target: target.name } as RData;
    }
    case QTYPE.SOA: {
      const mname = nameAt(buf, at, end);
      const rname = nameAt(buf, mname.next, end);
      if (rname.next + 20 !== end) malformed('SOA RDATA length');
      const u32 = (k: number): number => buf.readUInt32BE(rname.next + 4 * k);
      return { type: QTYPE.SOA, mname: mname.name, rname: rname.name, serial: u32(0), refresh: u32(1), retry: u32(2), expire: u32(3), minimum: u32(4) };
    }
    default:
      return { type: GENERIC_RDATA, rrtype: type, bytes: Uint8Array.from(buf.subarray(at, end)) };
  }
}

/** A reply message scanned: its header, TSIG, and where its answer records are (not yet read). */
export interface ScannedTransfer {
  id: number;
  qr: boolean;
  opcode: number;
  rcode: number;
  /** The answer section, TSIG excluded, each of class IN. */
  records: ScannedRecord[];
  tsig?: { at: number; record: TsigRecord };
}

/** One reply message of a transfer: the header checked for the client, the records read later (TransferAssembler.addMessage). */
export function scanTransferMessage(buf: Buffer): ScannedTransfer {
  let scanned;
  try {
    scanned = scanMessage(buf);
  } catch (err) {
    throw new TransferInError('malformed', `malformed transfer message: ${(err as Error).message}`, { cause: err });
  }
  const out: ScannedTransfer = { id: scanned.id, qr: scanned.qr, opcode: scanned.opcode, rcode: scanned.rcode, records: [] };
  const last = scanned.records.at(-1);
  for (const r of scanned.records) {
    if (r.type === QTYPE.TSIG) {
      // RFC 8945 §5.1: the last record of the additional section, or the message is malformed.
      if (r !== last || r.section !== 'additional') malformed('a TSIG record that is not the last one');
      const record = readTsig(buf, r.start, r.rdataOffset, r.end);
      if (record === undefined) malformed('a TSIG record that does not parse');
      out.tsig = { at: r.start, record };
      continue;
    }
    if (r.section !== 'answer') continue;
    const klass = buf.readUInt16BE(r.ttlOffset - 2);
    if (klass !== QCLASS.IN) malformed(`a record of class ${klass}`);
    out.records.push(r);
  }
  return out;
}

/** A scanned answer record, read. */
export function wireRecord(buf: Buffer, r: ScannedRecord): WireRecord {
  return { owner: nameAt(buf, r.start, r.end).name, ttl: r.ttl, data: readRdata(buf, r.type, r.rdataOffset, r.end) };
}

/** One reply message of a transfer (or a NOTIFY), its answer records read. */
export function readMessage(buf: Buffer): ReadMessage {
  const { records, ...rest } = scanTransferMessage(buf);
  return { ...rest, answers: records.map((r) => wireRecord(buf, r)) };
}

/** One IXFR change: the records removed going from `from` to `to`, and those added. */
export interface Delta {
  from: number;
  to: number;
  removed: WireRecord[];
  added: WireRecord[];
}

export type Transfer =
  /** The SOA alone (IXFR, RFC 1995 §4: the client is current). */
  | { kind: 'current'; soa: WireRecord & { data: SoaRData } }
  /** The whole zone: AXFR, or an IXFR answered AXFR-style (§4); its records gathered and packed as they came. */
  | { kind: 'full'; soa: WireRecord & { data: SoaRData }; records: ZoneRecords }
  /** The changes, oldest first (§4). */
  | { kind: 'incremental'; soa: WireRecord & { data: SoaRData }; deltas: Delta[] };

const isSoa = (r: WireRecord): r is WireRecord & { data: SoaRData } => r.data.type === QTYPE.SOA;

/**
 * Gathers a transfer's records message by message and says when it is complete: a whole zone
 * ends with its SOA again (RFC 5936 §2.2), an IXFR's changes with the newest SOA after the last
 * addition section (RFC 1995 §4), and an IXFR's first message holding the SOA alone is all.
 * A whole zone's records go straight into a ZoneRecords (packed-zone.ts) as they arrive, so
 * none of them is kept as an object past its message.
 */
export class TransferAssembler {
  readonly #apex: string;
  readonly #ixfr: boolean;
  /** The opening SOA, and an IXFR's changes. */
  readonly #records: WireRecord[] = [];
  /** A whole zone's records (the opening and closing SOA excluded), and what reads them from the wire. */
  #zone: ZoneRecords | undefined;
  #reader: WireZoneReader | undefined;
  #count = 0;
  #done = false;
  #phase: 'start' | 'full' | 'removed' | 'added' = 'start';

  constructor(apex: string, ixfr: boolean) {
    this.#apex = apex;
    this.#ixfr = ixfr;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Adds one message's answer records; returns whether the transfer is complete. */
  add(records: readonly WireRecord[]): boolean {
    if (this.#done) malformed('records after the end of the transfer');
    const firstMessage = this.#count === 0;
    for (const r of records) {
      if (this.#done) malformed('records after the closing SOA');
      this.#take(r);
    }
    return this.#ended(firstMessage);
  }

  /**
   * Adds one scanned message's answer records (scanTransferMessage): a whole zone's go into its
   * packed form from the wire (read-zone-records.ts), the others are read as add() takes them.
   */
  addMessage(buf: Buffer, records: readonly ScannedRecord[]): boolean {
    if (this.#done) malformed('records after the end of the transfer');
    const firstMessage = this.#count === 0;
    for (const r of records) {
      if (this.#done) malformed('records after the closing SOA');
      if (this.#phase === 'full' && r.type !== QTYPE.SOA && (this.#reader ??= new WireZoneReader((this.#zone ??= new ZoneRecords(this.#apex)))).add(buf, r)) this.#count++;
      else this.#take(wireRecord(buf, r));
    }
    return this.#ended(firstMessage);
  }

  #ended(firstMessage: boolean): boolean {
    // RFC 1995 §4: a reply whose first message is the SOA alone says the client is current.
    if (firstMessage && this.#ixfr && this.#count === 1) this.#done = true;
    return this.#done;
  }

  #take(r: WireRecord): void {
    const records = this.#records;
    if (this.#count === 0) {
      if (!isSoa(r) || r.owner !== this.#apex) malformed('the first record is not the SOA of the zone');
      records.push(r);
      this.#count = 1;
      return;
    }
    const serial = (records[0].data as SoaRData).serial;
    if (this.#count === 1) this.#phase = this.#ixfr && isSoa(r) ? 'removed' : 'full';
    this.#count++;
    const apexSoa = isSoa(r) && r.owner === this.#apex;
    if (this.#phase === 'full') {
      if (!apexSoa) {
        (this.#zone ??= new ZoneRecords(this.#apex)).add(r.owner, r.data);
        return;
      }
      if ((r.data as SoaRData).serial !== serial) malformed('a second SOA with another serial inside a whole-zone transfer');
      this.#done = true;
      return;
    }
    records.push(r);
    if (!apexSoa) return;
    const rSerial = (r.data as SoaRData).serial;
    if (this.#phase === 'removed') {
      if (records.length > 2) this.#phase = 'added';
    } else if (this.#phase === 'added') {
      if (rSerial === serial) this.#done = true;
      else this.#phase = 'removed';
    }
  }

  /** The transfer, once done. */
  result(): Transfer {
    if (!this.#done) malformed('the transfer ended before its closing SOA');
    const records = this.#records;
    const soa = records[0] as WireRecord & { data: SoaRData };
    if (this.#phase === 'full') return { kind: 'full', soa, records: this.#zone ?? new ZoneRecords(this.#apex) };
    if (records.length === 1) return { kind: 'current', soa };
    // SOA(new) [SOA(from) removed... SOA(to) added...]... SOA(new)
    const deltas: Delta[] = [];
    let current: Delta | undefined;
    let adding = false;
    for (let i = 1; i < records.length - 1; i++) {
      const r = records[i];
      if (isSoa(r) && r.owner === this.#apex) {
        if (current === undefined || adding) {
          current = { from: r.data.serial, to: r.data.serial, removed: [], added: [] };
          deltas.push(current);
          adding = false;
        } else {
          current.to = r.data.serial;
          adding = true;
        }
      } else if (current === undefined) malformed('a change before its SOA');
      else (adding ? current.added : current.removed).push(r);
    }
    return { kind: 'incremental', soa, deltas };
  }
}
