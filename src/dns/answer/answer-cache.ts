// Pre-encoded answers for one table generation and one config: the reply bytes the ordinary
// pipeline (lookup + encodeAnswer) produces for a name and type, encoded once and then reused by
// fast-path.ts, which only patches ID, flags, question case and OPT into a copy.
//
// Why lazily, per (name, type) on first query, and not eagerly at swap time: encoding every
// name of a 100,000-task table takes seconds and hundreds of MB (bench/fast-path.ts measures
// it), while a real query mix touches a small part of the table. A swap costs nothing: a cache
// belongs to one snapshot and one config object, and the caller makes a new one when either
// changes, so an old generation's answers can never be served.
//
// Every entry is made by the real encoder from the real lookup, for the lower-case name in
// table order (the "canonical" reply), and then described: where its records end (to cut it
// to a client's size limit exactly as the encoder would), where compression pointers reach
// into the question (which decides when a 0x20-mixed-case query can reuse it), and how its
// answer RRset can be rotated. An entry whose shape this module does not model is marked
// `slow`, and such queries keep going through the ordinary pipeline.
//
// Shuffling: mesos-dns shuffles every reply. Here each RRset is rotated round-robin instead,
// one step per reply (RFC 1794 style, BIND's "cyclic" order): every record leads equally often
// and no randomness is needed per query. SRV rotations carry their glue along (additional
// section order and compression pointers follow the rotated answers, as encodeAnswer would
// write them).
import type { Config } from '../../config.js';
import type { RecordTable } from '../../records/table.js';
import type { Snapshot } from '../../store.js';
import { encodeAnswer } from '../wire/encode.js';
import { lookup } from './lookup.js';
import { QCLASS, QTYPE, RCODE, type Query } from '../wire/message.js';
import { nameToWire, readName } from '../wire/name-wire.js';
import { route } from './route.js';
import { HEADER_LENGTH, MAX_POINTER_OFFSET, TCP_MAX, UDP_MIN } from '../wire/constants.js';

/** Query types answered from entries; every other type is negative (or ANY/AXFR/IXFR: slow). */
export const CACHED_TYPES: ReadonlySet<number> = new Set([QTYPE.A, QTYPE.AAAA, QTYPE.SRV, QTYPE.NS, QTYPE.SOA]);

/**
 * Entries one cache keeps (about 0.5 KB each); past it the oldest go first. 200,000 covers
 * every A and SRV name queried in a 100,000-task cluster's usual mix at under 100 MB.
 */
export const DEFAULT_MAX_ENTRIES = 200_000;
/** Kept replies are copied into slabs of this size (see AnswerCache.#keep). */
const SLAB_BYTES = 64 * 1024;

/**
 * How an entry's records are laid out for rotation:
 *   plain    at most one answer record; served in canonical order, cut to size by whole records
 *   uniform  two or more A (or AAAA) answers of one size and nothing else: rotated as one block
 *   srv      two or more SRV answers plus their A/AAAA glue: rotated, glue re-ordered and re-pointed
 *   slow     a shape not modelled here: the ordinary pipeline answers
 */
export type Layout = 'plain' | 'uniform' | 'srv' | 'slow';

/** One pre-encoded answer; `wire` is the canonical reply (ID 0, RD and CD clear, no OPT). */
export interface PreEncoded {
  readonly layout: Layout;
  readonly wire: Buffer;
  /** Offset after the question: header + QNAME + QTYPE + QCLASS. */
  readonly questionEnd: number;
  /**
   * A query whose QNAME has an upper-case letter at or after this offset gets a different
   * reply from the encoder (its name compression is case-sensitive), so it is not answered
   * from the entry. Answer owners echo the query's name as a pointer to it and never matter.
   */
  readonly caseFrom: number;
  readonly answers: number;
  readonly authority: number;
  readonly additional: number;
  /** End offset of each record in `wire`, in order (plain: for cutting to size). */
  readonly recordEnds: readonly number[];
  /** uniform: the size of one answer record. */
  readonly recordSize: number;
  /** srv: each answer's start, length and target number (0.. in first-seen order). */
  readonly srv?: SrvLayout;
  /** Round-robin position: the answer that leads the next reply. */
  next: number;
}

export interface SrvLayout {
  readonly starts: Int32Array;
  readonly lengths: Int32Array;
  readonly targets: Int32Array;
  readonly targetCount: number;
  /** Per target: offsets in `wire` of its A glue records, after their 2-octet owner pointer. */
  readonly glueA: readonly (readonly number[])[];
  readonly glueAAAA: readonly (readonly number[])[];
}

/**
 * The zone SOA that negative answers (NXDOMAIN, NODATA) put in the authority section, as bytes
 * that only depend on where the zone name sits in the query: compression pointers in it are
 * re-aimed per reply, either at the zone suffix of the query name or into the record itself.
 * The encoder compresses case-sensitively, so the bytes also depend on how many of the zone's
 * trailing labels the query wrote in lower case: AnswerCache.negative has one tail per count.
 */
export interface NegativeTail {
  readonly bytes: Buffer;
  /** Positions in `bytes` of pointers to re-aim, and their offset from the zone name in the question. */
  readonly zonePointers: readonly (readonly [at: number, delta: number])[];
  /** Positions in `bytes` of pointers into the tail itself, and their offset from its start. */
  readonly tailPointers: readonly (readonly [at: number, delta: number])[];
}

export interface AnswerCacheOptions {
  maxEntries?: number;
}

/** Results of filling a miss besides an entry; NODATA is kept in the map like an entry. */
export const NODATA = Symbol('nodata');
export const NXDOMAIN = Symbol('nxdomain');
export const SLOW = Symbol('slow');

/** Makes lookup's Fisher–Yates walk swap every element with itself: the table order. */
const identityRandom = (): number => 1 - 2 ** -53;

export class AnswerCache {
  readonly snapshot: Snapshot;
  readonly config: Config;
  readonly table: RecordTable;
  /** Lower-case wire form of the zone apex; undefined when the cache must not be used at all. */
  readonly zoneWire: Buffer | undefined;
  /** Offsets of the zone's labels in zoneWire, the root excluded. */
  readonly zoneLabels: readonly number[];
  /**
   * Negative-answer tails by the number of the zone's trailing labels that the query wrote in
   * lower case (0..zoneLabels.length); undefined when negative answers take the ordinary path.
   */
  readonly negative: readonly NegativeTail[] | undefined;
  /**
   * Labels (lower-case wire bytes) that may not stand right before the zone in a query name
   * written in lower case: the SOA names under the zone would compress against such a name.
   */
  readonly blockedLabels: readonly Buffer[];
  /** RA bit (0x80 or 0) of our replies in byte 3 of the header. */
  readonly raBit: number;
  readonly setTruncateBit: boolean;
  /** The UDP payload size we advertise in our OPT (RFC 6891 §6.2.5). */
  readonly ednsUdpSize: number;
  /** The largest EDNS UDP limit we honour (maxResponseSize). */
  readonly ednsCeiling: number;
  readonly #entries = new Map<string, PreEncoded | typeof NODATA>();
  readonly #maxEntries: number;
  #slab = Buffer.allocUnsafeSlow(0);
  #slabUsed = 0;
  /** route() sends every name under the domain to us (no zoneResolvers zone inside it). */
  readonly #allOurs: boolean;

  constructor(snapshot: Snapshot, config: Config, options: AnswerCacheOptions = {}) {
    this.snapshot = snapshot;
    this.config = config;
    this.table = snapshot.table;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.raBit = config.RecurseOn ? 0x80 : 0;
    this.setTruncateBit = config.SetTruncateBit;
    this.ednsUdpSize = Math.max(UDP_MIN, Math.min(Math.floor(config.EDNSMaxUDPSize), TCP_MAX));
    this.ednsCeiling = this.ednsUdpSize;
    const domain = config.Domain.toLowerCase().replace(/\.+$/, '');
    // Routing (config) and records (table) must agree on the zone; right after a reload that
    // changed Domain they may not, until the table is rebuilt. The ordinary path copes.
    this.zoneWire = this.table.zone === `${domain}.` ? nameToWire(this.table.zone) : undefined;
    this.#allOurs = allNamesAreOurs(config, domain);
    this.zoneLabels = this.zoneWire ? labelStarts(this.zoneWire) : [];
    this.blockedLabels = this.zoneWire ? blockedLabels(this.table, this.zoneWire) : [];
    this.negative = this.zoneWire && this.#allOurs ? negativeTails(this.table, this.zoneWire, this.zoneLabels, this.blockedLabels, config) : undefined;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The entry for a question key (lower-case QNAME wire + QTYPE, latin1), if made before. */
  get(key: string): PreEncoded | typeof NODATA | undefined {
    return this.#entries.get(key);
  }

  /**
   * Makes the entry for `key` (see get) whose name is `name` (lower-case presentation, no
   * trailing dot). NODATA and NXDOMAIN: answer from `negative`. SLOW: the ordinary pipeline
   * must answer (not ours to answer, or a shape we do not model).
   */
  fill(key: string, name: string, qtype: number): PreEncoded | typeof NODATA | typeof NXDOMAIN | typeof SLOW {
    if (this.zoneWire === undefined) return SLOW;
    const c = this.config;
    // The caller checked that the name is under the zone; only a forwarded zone inside it can
    // take the name away from us.
    if (!this.#allOurs) {
      const where = route(name, { domain: c.Domain, externalOn: c.ExternalOn, zoneResolvers: c.ZoneResolvers, resolvers: c.Resolvers });
      if (where.kind !== 'authority') return SLOW;
    }
    if (!this.table.existing.has(name === '' ? '.' : `${name}.`)) return NXDOMAIN;
    const entry = preEncode(this.table, name, qtype, c, (wire) => this.#keep(wire));
    const kept = entry.answers === 0 && entry.authority === 1 && entry.wire[3] === (this.raBit | RCODE.NOERROR) ? NODATA : entry;
    if (this.#entries.size >= this.#maxEntries) {
      // First in, first out: Map keeps insertion order, so this is O(1).
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, kept);
    return kept;
  }

  /**
   * A copy of `wire` in this cache's own slabs. Not Buffer.from(): its small copies share
   * Node's 8 KiB pool slabs with the encoder's discarded scratch buffers, and one kept answer
   * would keep a whole slab of garbage alive (measured: ~1.6 KB of RSS per entry).
   */
  #keep(wire: Buffer): Buffer {
    if (wire.length > SLAB_BYTES / 8) {
      const own = Buffer.allocUnsafeSlow(wire.length);
      wire.copy(own);
      return own;
    }
    if (this.#slabUsed + wire.length > this.#slab.length) {
      this.#slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.#slabUsed = 0;
    }
    const at = this.#slabUsed;
    wire.copy(this.#slab, at);
    this.#slabUsed += wire.length;
    return this.#slab.subarray(at, at + wire.length);
  }

  /** Whether `name` (lower-case presentation with trailing dot) exists in the zone. */
  exists(absoluteName: string): boolean {
    return this.table.existing.has(absoluteName);
  }
}

/**
 * Whether route() sends every name under the domain to us: with a zoneResolvers zone at or
 * below the domain, some of them are forwarded instead.
 */
function allNamesAreOurs(config: Config, domain: string): boolean {
  if (!config.ExternalOn || config.Resolvers.length === 0) return true; // zoneResolvers unused (route.ts)
  for (const [zone, upstreams] of Object.entries(config.ZoneResolvers)) {
    if (upstreams.length === 0) continue;
    const z = zone.toLowerCase().replace(/\.$/, '');
    if (z === domain || z.endsWith(`.${domain}`)) return false;
  }
  return true;
}

/**
 * The canonical reply for (name, qtype), described for fast-path.ts. `keep` copies the encoder's
 * output (a view of its scratch buffer) to where the entry will live.
 */
export function preEncode(
  table: RecordTable,
  name: string,
  qtype: number,
  config: Pick<Config, 'RecurseOn' | 'SetTruncateBit' | 'EDNSMaxUDPSize'>,
  keep: (wire: Buffer) => Buffer = (wire) => Buffer.from(wire),
): PreEncoded {
  const query: Query = { id: 0, opcode: 0, rd: false, cd: false, question: { name, type: qtype, class: QCLASS.IN } };
  const answer = lookup(table, query, { random: identityRandom, recurseOn: config.RecurseOn });
  const wire = encodeAnswer(query, answer, { maxSize: TCP_MAX, setTruncateBit: config.SetTruncateBit, ednsUdpSize: config.EDNSMaxUDPSize });
  return describe(keep(wire));
}

/** Reads the shape of a canonical reply; see PreEncoded. */
export function describe(wire: Buffer): PreEncoded {
  const slow = (questionEnd = HEADER_LENGTH): PreEncoded => ({
    layout: 'slow',
    wire,
    questionEnd,
    caseFrom: HEADER_LENGTH,
    answers: 0,
    authority: 0,
    additional: 0,
    recordEnds: [],
    recordSize: 0,
    next: 0,
  });
  const qdcount = wire.readUInt16BE(4);
  const answers = wire.readUInt16BE(6);
  const authority = wire.readUInt16BE(8);
  const additional = wire.readUInt16BE(10);
  // TC in a 64 KiB reply: a set too large for any rotation to be modelled.
  if (qdcount !== 1 || wire[2] & 0x02) return slow();
  const qname = walkName(wire, HEADER_LENGTH);
  if (qname.end < 0 || qname.pointer >= 0) return slow();
  const qnameEnd = qname.end;
  const questionEnd = qnameEnd + 4;

  const total = answers + authority + additional;
  const recordEnds: number[] = [];
  const starts = new Int32Array(total);
  const types = new Int32Array(total);
  /** Offset of an SRV record's target, -1 otherwise. */
  const targetAt = new Int32Array(total).fill(-1);
  /** The owner's pointer when the owner is nothing but a pointer, -1 otherwise. */
  const ownerPointer = new Int32Array(total).fill(-1);
  let caseFrom = qnameEnd;
  // A name outside the echoed answer owners that points into the question name ties the reply
  // to the case of the name from there on.
  const notice = (n: NameWalk): void => {
    if (n.pointer >= HEADER_LENGTH && n.pointer < qnameEnd && n.pointer < caseFrom) caseFrom = n.pointer;
  };
  let pos = questionEnd;
  for (let i = 0; i < total; i++) {
    starts[i] = pos;
    const owner = walkName(wire, pos);
    if (owner.end < 0 || owner.end + 10 > wire.length) return slow(questionEnd);
    if (owner.end === pos + 2) ownerPointer[i] = owner.pointer;
    const echo = i < answers && owner.end === pos + 2 && owner.pointer === HEADER_LENGTH;
    if (!echo) notice(owner);
    const type = wire.readUInt16BE(owner.end);
    const rdata = owner.end + 10;
    const end = rdata + wire.readUInt16BE(owner.end + 8);
    if (end > wire.length) return slow(questionEnd);
    types[i] = type;
    switch (type) {
      case QTYPE.NS:
        notice(walkName(wire, rdata));
        break;
      case QTYPE.SRV: {
        const target = walkName(wire, rdata + 6);
        notice(target);
        if (target.pointer < 0) targetAt[i] = rdata + 6;
        break;
      }
      case QTYPE.SOA: {
        const mname = walkName(wire, rdata);
        notice(mname);
        if (mname.end >= 0) notice(walkName(wire, mname.end));
        break;
      }
    }
    recordEnds.push(end);
    pos = end;
  }
  if (pos !== wire.length) return slow(questionEnd);

  const base = {
    wire,
    questionEnd,
    caseFrom,
    answers,
    authority,
    additional,
    recordEnds,
    recordSize: 0,
    next: 0,
  };
  if (answers < 2) return { ...base, layout: 'plain' };
  if (authority !== 0 || wire.length > MAX_POINTER_OFFSET) return slow(questionEnd);
  for (let i = 0; i < answers; i++) {
    if (types[i] !== types[0] || ownerPointer[i] !== HEADER_LENGTH) return slow(questionEnd);
  }

  if (types[0] === QTYPE.A || types[0] === QTYPE.AAAA) {
    const size = recordEnds[0] - starts[0];
    for (let i = 1; i < answers; i++) if (recordEnds[i] - starts[i] !== size) return slow(questionEnd);
    if (additional !== 0) return slow(questionEnd);
    return { ...base, layout: 'uniform', recordSize: size };
  }
  if (types[0] !== QTYPE.SRV) return slow(questionEnd);
  const srv = srvLayout(wire, answers, additional, starts, recordEnds, types, targetAt, ownerPointer);
  return srv ? { ...base, layout: 'srv', srv } : slow(questionEnd);
}

/**
 * SRV answers are self-contained (owner: a pointer to the question; target: written out, RFC
 * 2782 forbids compressing it), so any order of them is valid. Their glue is not: each glue
 * owner points at the first SRV target of that name, and glue follows answer order, A before
 * AAAA (lookup.ts). This checks the canonical reply is exactly that, so that replaying the
 * same rules for a rotation reproduces what encodeAnswer would write for it.
 */
function srvLayout(
  wire: Buffer,
  answers: number,
  additional: number,
  starts: Int32Array,
  ends: readonly number[],
  types: Int32Array,
  targetAt: Int32Array,
  ownerPointer: Int32Array,
): SrvLayout | undefined {
  const targets = new Int32Array(answers);
  const lengths = new Int32Array(answers);
  const ids = new Map<string, number>();
  /** Target number -> offset of its first occurrence. */
  const firstAt: number[] = [];
  for (let i = 0; i < answers; i++) {
    if (targetAt[i] < 0) return undefined;
    const targetName = walkName(wire, targetAt[i]);
    // lookup.ts de-duplicates glue by the lower-cased name (A-Z only, as in presentation form).
    const key = wire.toString('latin1', targetAt[i], targetName.end).replace(/[A-Z]+/g, (m) => m.toLowerCase());
    let id = ids.get(key);
    if (id === undefined) {
      id = firstAt.length;
      ids.set(key, id);
      firstAt.push(targetAt[i]);
    }
    targets[i] = id;
    lengths[i] = ends[i] - starts[i];
  }
  const byOffset = new Map(firstAt.map((at, id) => [at, id]));
  const glueA: number[][] = firstAt.map(() => []);
  const glueAAAA: number[][] = firstAt.map(() => []);
  const seen: Array<[type: number, target: number]> = [];
  for (let k = answers; k < answers + additional; k++) {
    const type = types[k];
    const id = byOffset.get(ownerPointer[k]);
    if ((type !== QTYPE.A && type !== QTYPE.AAAA) || id === undefined) return undefined;
    (type === QTYPE.A ? glueA : glueAAAA)[id].push(starts[k] + 2);
    seen.push([type, id]);
  }
  // The model's order for the canonical rotation must be the order the encoder wrote.
  let k = 0;
  for (const [type, lists] of [[QTYPE.A, glueA], [QTYPE.AAAA, glueAAAA]] as const) {
    for (let id = 0; id < lists.length; id++) {
      for (let j = 0; j < lists[id].length; j++, k++) {
        if (seen[k][0] !== type || seen[k][1] !== id) return undefined;
      }
    }
  }
  return { starts: starts.slice(0, answers), lengths, targets, targetCount: firstAt.length, glueA, glueAAAA };
}

interface NameWalk {
  /** Offset after the name as it sits there; -1 when it does not parse. */
  end: number;
  /** Where its compression pointer points, -1 without one. */
  pointer: number;
}

/** Walks one name of our own encoder's output (labels, then a zero or one pointer). */
function walkName(buf: Buffer, pos: number): NameWalk {
  for (;;) {
    if (pos >= buf.length) return { end: -1, pointer: -1 };
    const len = buf[pos];
    if (len === 0) return { end: pos + 1, pointer: -1 };
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) return { end: -1, pointer: -1 };
      return { end: pos + 2, pointer: ((len & 0x3f) << 8) | buf[pos + 1] };
    }
    if (len > 63) return { end: -1, pointer: -1 };
    pos += 1 + len;
  }
}

/** Offsets of the labels of a wire name, root excluded. */
function labelStarts(wire: Buffer): number[] {
  const out: number[] = [];
  for (let pos = 0; wire[pos] !== 0; pos += 1 + wire[pos]) out.push(pos);
  return out;
}

/** The labels directly before the zone in the SOA names under it (see AnswerCache.blockedLabels). */
function blockedLabels(table: RecordTable, zoneWire: Buffer): Buffer[] {
  const blocked: Buffer[] = [];
  for (const name of [table.soa.mname, table.soa.rname]) {
    const wire = nameToWire(name.toLowerCase());
    const before = wire && labelBeforeSuffix(wire, zoneWire);
    if (before && !blocked.some((b) => b.equals(before))) blocked.push(before);
  }
  return blocked;
}

/**
 * Encodes a negative answer for a probe name directly under the zone, once for each count of
 * lower-case trailing zone labels (the others upper-cased), and keeps its authority section
 * with every compression pointer described relative to what it points at.
 */
function negativeTails(table: RecordTable, zoneWire: Buffer, zoneLabels: readonly number[], blocked: readonly Buffer[], config: Config): NegativeTail[] | undefined {
  // A probe label that no SOA name has before the zone, so nothing compresses against it.
  let probe = 'x';
  while (blocked.some((b) => b.toString('latin1') === probe)) probe += 'x';
  const tails: NegativeTail[] = [];
  for (let lower = 0; lower <= zoneLabels.length; lower++) {
    const zone = Buffer.from(zoneWire);
    const upperEnd = lower === zoneLabels.length ? 0 : zoneLabels[zoneLabels.length - lower] ?? zone.length - 1;
    for (let i = 0; i < upperEnd; i++) if (zone[i] >= 0x61 && zone[i] <= 0x7a) zone[i] &= ~0x20;
    const probeWire = Buffer.concat([Buffer.from([probe.length]), Buffer.from(probe, 'latin1'), zone]);
    const tail = negativeTail(table, probeWire, zone.length, config);
    if (!tail) return undefined;
    tails.push(tail);
  }
  return tails;
}

function negativeTail(table: RecordTable, probeWire: Buffer, zoneLength: number, config: Config): NegativeTail | undefined {
  const name = readName(probeWire, 0);
  if (!name.ok) return undefined;
  const query: Query = { id: 0, opcode: 0, rd: false, cd: false, question: { name: name.name, type: QTYPE.TXT, class: QCLASS.IN } };
  const answer = lookup(table, query, { random: identityRandom, recurseOn: config.RecurseOn });
  if (answer.kind !== 'nxdomain' && answer.kind !== 'nodata') return undefined;
  const wire = encodeAnswer(query, answer, { maxSize: TCP_MAX, setTruncateBit: false, ednsUdpSize: config.EDNSMaxUDPSize });
  if (wire.readUInt16BE(6) !== 0 || wire.readUInt16BE(8) !== 1 || wire.readUInt16BE(10) !== 0) return undefined;
  const qnameEnd = HEADER_LENGTH + probeWire.length;
  const zoneAt = qnameEnd - zoneLength;
  const tailStart = qnameEnd + 4;
  const bytes = Buffer.from(wire.subarray(tailStart));
  const zonePointers: Array<[number, number]> = [];
  const tailPointers: Array<[number, number]> = [];
  const note = (n: NameWalk, at: number): boolean => {
    if (n.end < 0) return false;
    if (n.pointer < 0) return true;
    const pointerAt = n.end - 2 - tailStart;
    if (n.pointer >= zoneAt && n.pointer < qnameEnd) zonePointers.push([pointerAt, n.pointer - zoneAt]);
    else if (n.pointer >= tailStart && n.pointer < at) tailPointers.push([pointerAt, n.pointer - tailStart]);
    else return false; // into the probe label or QTYPE/QCLASS: not a shape we can relocate
    return true;
  };
  const owner = walkName(wire, tailStart);
  if (!note(owner, tailStart)) return undefined;
  if (owner.end + 10 > wire.length || wire.readUInt16BE(owner.end) !== QTYPE.SOA) return undefined;
  const rdata = owner.end + 10;
  const mname = walkName(wire, rdata);
  if (!note(mname, rdata)) return undefined;
  const rname = walkName(wire, mname.end);
  if (!note(rname, mname.end)) return undefined;
  return { bytes, zonePointers, tailPointers };
}

/** The label right before `suffix` in `wire` (lower-case wire names), if `wire` ends with it. */
function labelBeforeSuffix(wire: Buffer, suffix: Buffer): Buffer | undefined {
  if (wire.length <= suffix.length) return undefined;
  let pos = 0;
  let previous = -1;
  while (pos < wire.length - suffix.length) {
    previous = pos;
    pos += 1 + wire[pos];
  }
  if (pos !== wire.length - suffix.length || previous < 0) return undefined;
  if (!wire.subarray(pos).equals(suffix)) return undefined;
  return Buffer.from(wire.subarray(previous + 1, pos));
}
