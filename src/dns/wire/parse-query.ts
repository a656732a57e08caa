// Bytes → Query. A small parser of our own (instead of dns2's Packet.parse) because the server
// needs only the header, the first question and the OPT record, and needs to know *why* a
// message is unusable so it can pick between silence, FORMERR, NOTIMP and BADVERS. Every read is
// bounds-checked; the function never throws (test/parse-query.test.ts fuzzes it).
import { readName } from './name-wire.js';
import { EDNS_OPTION, OPCODE, QTYPE, RCODE, type Edns, type Query, type Question, type TsigRecord } from './message.js';
import { HEADER_LENGTH, RR_FIXED_LENGTH } from './constants.js';
import { readTsig } from './tsig.js';

/** A message we must answer with an error and no records (see encodeError in encode.ts). */
export interface ParseError {
  kind: 'error';
  /** FORMERR, NOTIMP or BADVERS (extended; encodeError puts its high bits in our OPT). */
  rcode: number;
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  /** Echoed when it parsed. */
  question?: Question;
  /** The client's EDNS when its one OPT record parsed; the reply then carries our OPT. */
  edns?: Edns;
}

export type ParseResult = { kind: 'query'; query: Query } | { kind: 'drop' } | ParseError;

const DROP: ParseResult = Object.freeze({ kind: 'drop' });

/**
 * Reading order decides which error wins, as in miekg/dns's acceptance check followed by
 * unpacking: responses are dropped; an opcode other than QUERY gets NOTIMP (RFC 1035 §4.1.1)
 * whatever follows; then any structural problem is FORMERR; a well-formed query whose EDNS
 * version we do not speak gets BADVERS (RFC 6891 §6.1.3). BADVERS is decided here, before any
 * lookup or forwarding, so the caller treats it like every other pre-lookup error: one
 * encodeError call.
 */
export function parseQuery(buf: Buffer): ParseResult {
  // Too short to carry an ID we could answer to.
  if (buf.length < HEADER_LENGTH) return DROP;
  const flags = (buf[2] << 8) | buf[3];
  // QR=1: a response. Answering responses invites reflection loops; RFC 1035 servers ignore them.
  if (flags & 0x8000) return DROP;

  const id = (buf[0] << 8) | buf[1];
  const opcode = (flags >> 11) & 0x0f;
  const rd = (flags & 0x0100) !== 0;
  const cd = (flags & 0x0010) !== 0;
  const qdcount = (buf[4] << 8) | buf[5];
  const ancount = (buf[6] << 8) | buf[7];
  const nscount = (buf[8] << 8) | buf[9];
  const arcount = (buf[10] << 8) | buf[11];

  const fail = (rcode: number, question?: Question, edns?: Edns): ParseError => {
    const e: ParseError = { kind: 'error', rcode, id, opcode, rd, cd };
    if (question) e.question = question;
    if (edns) e.edns = edns;
    return e;
  };

  let pos = HEADER_LENGTH;
  let question: Question | undefined;
  let questionOk = qdcount >= 1;
  if (qdcount >= 1) {
    const q = readName(buf, pos);
    if (q.ok && q.next + 4 <= buf.length) {
      question = {
        name: q.name,
        type: (buf[q.next] << 8) | buf[q.next + 1],
        class: (buf[q.next + 2] << 8) | buf[q.next + 3],
      };
      pos = q.next + 4;
    } else {
      questionOk = false;
    }
  }

  // Past the first question: further questions, answer and authority records are skipped
  // (their content does not matter to us), the additional section is searched for OPT.
  let rest: RestResult | undefined;
  if (questionOk) rest = readRest(buf, pos, qdcount - 1, ancount + nscount, arcount);

  if (opcode !== OPCODE.QUERY) {
    // Only the ID and the opcode are echoed: RD and CD have their meaning for QUERY alone
    // (RFC 1035 §4.1.1, RFC 4035 §3.1.6), and the sections of an opcode we do not implement
    // need not hold a question (RFC 6895 §2). Our OPT goes back to an EDNS client (RFC 6891 §7).
    const e: ParseError = { kind: 'error', rcode: RCODE.NOTIMP, id, opcode, rd: false, cd: false };
    if (rest?.ok && rest.edns) e.edns = rest.edns;
    return e;
  }
  if (qdcount !== 1) {
    // RFC 1035 allows QDCOUNT > 1 in theory, but no server answers it (miekg/dns and CoreDNS
    // reject it); with none there is nothing to answer.
    return fail(RCODE.FORMERR, undefined, rest?.ok ? rest.edns : undefined);
  }
  if (!question || !rest) return fail(RCODE.FORMERR);
  if (!rest.ok) return fail(RCODE.FORMERR, question, rest.edns);
  const edns = rest.edns;
  if (edns && edns.version > 0) return fail(RCODE.BADVERS, question, edns);

  const query: Query = { id, opcode, rd, cd, question };
  if (edns) query.edns = edns;
  if (rest.tsig) query.tsig = rest.tsig;
  return { kind: 'query', query };
}

/** `edns` is set whenever exactly one OPT parsed, even if something after it was bad. */
type RestResult = { ok: boolean; edns?: Edns; tsig?: TsigRecord };

function readRest(buf: Buffer, pos: number, extraQuestions: number, skipRecords: number, additional: number): RestResult {
  for (let i = 0; i < extraQuestions; i++) {
    const q = readName(buf, pos);
    if (!q.ok || q.next + 4 > buf.length) return { ok: false };
    pos = q.next + 4;
  }
  for (let i = 0; i < skipRecords; i++) {
    const rr = readRecordFrame(buf, pos);
    // RFC 6891 §6.1.1: OPT belongs in the additional section only; so does TSIG (RFC 8945 §5.1).
    if (!rr || rr.type === QTYPE.OPT || rr.type === QTYPE.TSIG) return { ok: false };
    pos = rr.end;
  }
  let edns: Edns | undefined;
  let tsig: TsigRecord | undefined;
  for (let i = 0; i < additional; i++) {
    const rr = readRecordFrame(buf, pos);
    if (!rr) return { ok: false, edns };
    if (rr.type === QTYPE.TSIG) {
      // RFC 8945 §5.1: the TSIG RR must be the last record; one anywhere else, or one that does
      // not parse, makes the message FORMERR.
      tsig = i === additional - 1 ? readTsig(buf, pos, rr.rdata, rr.end) : undefined;
      if (!tsig) return { ok: false, edns };
    }
    if (rr.type === QTYPE.OPT) {
      // RFC 6891 §6.1.1: at most one OPT, owned by the root; more than one is FORMERR (§7).
      // The first OPT's values are not trusted once a second appears, so none is echoed.
      if (edns) return { ok: false };
      if (rr.ownerLength !== 1 || !optionsWellFormed(buf, rr.rdata, rr.end)) return { ok: false };
      const ttlAt = rr.rdata - 6;
      edns = {
        udpSize: (buf[rr.rdata - 8] << 8) | buf[rr.rdata - 7],
        version: buf[ttlAt + 1],
        dnssecOk: (buf[ttlAt + 2] & 0x80) !== 0,
      };
      if (hasOption(buf, rr.rdata, rr.end, EDNS_OPTION.NSID)) edns.nsid = true;
    }
    pos = rr.end;
  }
  return tsig ? { ok: true, edns, tsig } : { ok: true, edns };
}

/** Whether well-formed OPT RDATA [start, end) holds an option with this code. */
function hasOption(buf: Buffer, start: number, end: number, code: number): boolean {
  for (let pos = start; pos + 4 <= end; pos += 4 + ((buf[pos + 2] << 8) | buf[pos + 3])) {
    if (((buf[pos] << 8) | buf[pos + 1]) === code) return true;
  }
  return false;
}

interface RecordFrame {
  type: number;
  /** Octets the owner name takes in place: 1 for the root written out as a single 0. */
  ownerLength: number;
  /** Offset of RDATA. */
  rdata: number;
  /** Offset after the record. */
  end: number;
}

function readRecordFrame(buf: Buffer, pos: number): RecordFrame | undefined {
  const owner = readName(buf, pos);
  if (!owner.ok) return undefined;
  const fixed = owner.next;
  if (fixed + RR_FIXED_LENGTH > buf.length) return undefined;
  const rdlength = (buf[fixed + 8] << 8) | buf[fixed + 9];
  const rdata = fixed + RR_FIXED_LENGTH;
  if (rdata + rdlength > buf.length) return undefined;
  // A root owner reached through a pointer still reads as "", so compare the in-place length
  // too: RFC 6891 §6.1.2 says the OPT owner MUST be 0 (root), written as one zero octet.
  return {
    type: (buf[fixed] << 8) | buf[fixed + 1],
    ownerLength: owner.name === '' ? fixed - pos : -1,
    rdata,
    end: rdata + rdlength,
  };
}

/** OPT RDATA is a sequence of {code, length, data} (RFC 6891 §6.1.2) that must fill it exactly. */
function optionsWellFormed(buf: Buffer, start: number, end: number): boolean {
  let pos = start;
  while (pos < end) {
    if (pos + 4 > end) return false;
    const len = (buf[pos + 2] << 8) | buf[pos + 3];
    pos += 4 + len;
  }
  return pos === end;
}
