// One pre-encoded answer for the fast path: the reply the ordinary pipeline (lookup +
// encodeAnswer) produces for a lower-case name in table order (the "canonical" reply), with the
// encoder's own account of where it put things (WireLayout) turned into what fast-path.ts needs:
// where its records end (to cut it to a client's size limit exactly as the encoder would),
// where compression pointers reach into the question (which decides when a 0x20-mixed-case
// query can reuse it), and how its answer RRset can be rotated. A reply whose shape this module
// does not model is `slow`, and such queries keep going through the ordinary pipeline.
//
// Order (AnswerOrder): fast-path.ts writes each reply's answers shuffled or rotated one step per
// reply (RFC 1794 style, BIND's "cyclic" order); `next` is the rotation's position. SRV glue
// follows its answers in either order (additional section order and compression pointers as
// encodeAnswer would write them for that order).
import type { Config } from '../../config/typed.js';
import type { RecordTable } from '../../records/table.js';
import { HEADER_LENGTH, MAX_POINTER_OFFSET, TCP_MAX } from '../wire/constants.js';
import { encodeAnswerLaidOut } from '../wire/encode.js';
import type { WireLayout, WrittenName } from '../wire/layout.js';
import { QCLASS, QTYPE, type Query } from '../wire/message.js';
import { lookup } from './lookup.js';
import { responseNameHash } from '../rrl/response-kind.js';

/**
 * How an entry's records are laid out for rotation:
 *   plain    at most one answer record; served in canonical order, cut to size by whole records
 *   uniform  two or more A (or AAAA) answers of one size and nothing else: reordered record by record
 *   srv      two or more SRV answers plus their A/AAAA glue: reordered, glue re-ordered and re-pointed
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
  /**
   * The response rate limiter's key for this (name, type): responseNameHash of the question,
   * computed once here instead of from every reply's bytes (rrl/response-limit.ts).
   */
  readonly nameHash: number;
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

/** Makes lookup's Fisher–Yates walk swap every element with itself: the table order. */
export const identityRandom = (): number => 1 - 2 ** -53;

/**
 * The canonical reply for (name, qtype), shaped for fast-path.ts. `keep` copies the encoder's
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
  const { wire, layout } = encodeAnswerLaidOut(query, answer, { maxSize: TCP_MAX, setTruncateBit: config.SetTruncateBit, ednsUdpSize: config.EDNSMaxUDPSize });
  return shape(keep(wire), layout);
}

/** The PreEncoded form of an encoder reply `wire`, from the layout the encoder reported for it. */
export function shape(wire: Buffer, layout: WireLayout): PreEncoded {
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
    nameHash: responseNameHash(wire),
    next: 0,
  });
  const answers = wire.readUInt16BE(6);
  const authority = wire.readUInt16BE(8);
  const additional = wire.readUInt16BE(10);
  const qname = layout.qname;
  // TC in a 64 KiB reply: a set too large for any rotation to be modelled.
  if (qname === undefined || wire[2] & 0x02) return slow();
  if (qname.pointer >= 0) return slow();
  const qnameEnd = qname.end;
  const questionEnd = layout.questionEnd;

  const records = layout.records;
  const total = answers + authority + additional;
  // An OPT (counted in the header, absent from the layout) is not a shape entries carry.
  if (records.length !== total) return slow(questionEnd);
  const recordEnds: number[] = [];
  const starts = new Int32Array(total);
  const types = new Int32Array(total);
  /** An SRV record's target when written out (RFC 2782: never compressed). */
  const srvTargets: (WrittenName | undefined)[] = new Array<WrittenName | undefined>(total);
  /** The owner's pointer when the owner is nothing but a pointer, -1 otherwise. */
  const ownerPointer = new Int32Array(total).fill(-1);
  let caseFrom = qnameEnd;
  // A name outside the echoed answer owners that points into the question name ties the reply
  // to the case of the name from there on.
  const notice = (n: WrittenName): void => {
    if (n.pointer >= HEADER_LENGTH && n.pointer < qnameEnd && n.pointer < caseFrom) caseFrom = n.pointer;
  };
  for (let i = 0; i < total; i++) {
    const record = records[i];
    const [owner, ...rdataNames] = record.names;
    starts[i] = record.start;
    types[i] = record.type;
    if (owner.end === owner.at + 2) ownerPointer[i] = owner.pointer;
    const echo = i < answers && owner.end === owner.at + 2 && owner.pointer === HEADER_LENGTH;
    if (!echo) notice(owner);
    for (const n of rdataNames) notice(n);
    if (record.type === QTYPE.SRV && rdataNames[0].pointer < 0) srvTargets[i] = rdataNames[0];
    recordEnds.push(record.end);
  }

  const base = {
    wire,
    questionEnd,
    caseFrom,
    answers,
    authority,
    additional,
    recordEnds,
    recordSize: 0,
    // The canonical reply's question is the lower-case name and type; the hash folds case anyway.
    nameHash: responseNameHash(wire),
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
  const srv = srvLayout(wire, answers, additional, starts, recordEnds, types, srvTargets, ownerPointer);
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
  srvTargets: readonly (WrittenName | undefined)[],
  ownerPointer: Int32Array,
): SrvLayout | undefined {
  const targets = new Int32Array(answers);
  const lengths = new Int32Array(answers);
  const ids = new Map<string, number>();
  /** Target number -> offset of its first occurrence. */
  const firstAt: number[] = [];
  for (let i = 0; i < answers; i++) {
    const target = srvTargets[i];
    if (target === undefined) return undefined;
    // lookup.ts de-duplicates glue by the lower-cased name (A-Z only, as in presentation form).
    const key = wire.toString('latin1', target.at, target.end).replace(/[A-Z]+/g, (m) => m.toLowerCase());
    let id = ids.get(key);
    if (id === undefined) {
      id = firstAt.length;
      ids.set(key, id);
      firstAt.push(target.at);
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
