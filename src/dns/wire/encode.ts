// Answer → bytes. Pure. Owns everything about the reply's wire form: header bits, question echo,
// name compression, our OPT record, and truncation to the transport's size limit.
//
// Why not dns2's encoder: it is quadratic in the number of records, compresses SRV targets
// (RFC 2782 forbids it), drops the OPT record and cuts buffers mid-record.
import { NameCompressor, nameToWire } from './name-wire.js';
import { prepareRdata, writeName, writeRdata } from './rdata-wire.js';
import { Writer } from './writer.js';
import { EDNS_OPTION, QCLASS, QTYPE, RCODE, rrTypeOf, type Answer, type Edns, type Query, type Question, type ResourceRecord, type ResultKind } from './message.js';
import { HEADER_LENGTH, OPT_LENGTH, TCP_MAX, UDP_MIN } from './constants.js';
import type { WireLayout, WrittenName, WrittenRecord } from './layout.js';

export interface EncodeOptions {
  /** Largest reply allowed (maxResponseSize). The result never exceeds it. */
  maxSize: number;
  /** mesos-dns SetTruncateBit: when false, replies are still cut to fit but TC is never set. */
  setTruncateBit: boolean;
  /** The UDP payload size we advertise in our OPT (config EDNSMaxUDPSize). */
  ednsUdpSize: number;
  /** Our NSID (RFC 5001), sent to queries whose OPT asks for it; absent or empty: never sent. */
  nsid?: Buffer;
}

/** An error reply with no records. parseQuery's ParseError fits this shape as is. */
export interface ErrorReply {
  id: number;
  opcode: number;
  rd: boolean;
  cd?: boolean;
  /** May be extended (BADVERS = 16): the high bits then go in our OPT (RFC 6891 §6.1.3). */
  rcode: number;
  /** Recursion available; false unless given (mesos-dns sends REFUSED with only `qr rd`). */
  ra?: boolean;
  question?: Question;
  edns?: Edns;
}


const RCODE_OF: Readonly<Record<ResultKind, number>> = {
  success: RCODE.NOERROR,
  nodata: RCODE.NOERROR,
  nxdomain: RCODE.NXDOMAIN,
  servfail: RCODE.SERVFAIL,
  refused: RCODE.REFUSED,
  notimp: RCODE.NOTIMP,
  formerr: RCODE.FORMERR,
  badvers: RCODE.BADVERS,
};

/**
 * The size budget for a reply. TCP: 65535 (the 2-octet length prefix). UDP: 512 without EDNS
 * (RFC 1035 §4.2.1); with EDNS the client's size, raised to 512 and capped at what we are
 * willing to send (RFC 6891 §6.2.5). mesos-dns ignored client EDNS sizes; we do not.
 */
export function maxResponseSize(query: Query | undefined, transport: 'udp' | 'tcp', ednsMaxUdpSize: number): number {
  if (transport === 'tcp') return TCP_MAX;
  if (!query?.edns) return UDP_MIN;
  const ceiling = Math.max(UDP_MIN, Math.min(ednsMaxUdpSize, TCP_MAX));
  return Math.min(Math.max(query.edns.udpSize, UDP_MIN), ceiling);
}

/**
 * Encodes a lookup result. The reply carries our OPT when the query had one (RFC 6891 §7), or
 * when the result is BADVERS, whose rcode needs the OPT's extended bits.
 */
export function encodeAnswer(query: Query, answer: Answer, opts: EncodeOptions): Buffer {
  return encodeAnswerTo(query, answer, opts, undefined);
}

/**
 * encodeAnswer's bytes, and where it put the question, each record and each name in them
 * (the answer cache patches and rotates these bytes per query, answer/pre-encode.ts).
 */
export function encodeAnswerLaidOut(query: Query, answer: Answer, opts: EncodeOptions): { wire: Buffer; layout: WireLayout } {
  const layout: LayoutRecorder = { qname: undefined, questionEnd: HEADER_LENGTH, records: [] };
  return { wire: encodeAnswerTo(query, answer, opts, layout), layout };
}

function encodeAnswerTo(query: Query, answer: Answer, opts: EncodeOptions, layout: LayoutRecorder | undefined): Buffer {
  const rcode = RCODE_OF[answer.kind];
  return encodeMessage(
    {
      id: query.id,
      opcode: query.opcode,
      rd: query.rd,
      cd: query.cd,
      aa: answer.aa,
      ra: answer.ra,
      rcode,
    },
    query.question,
    [answer.answer, answer.authority, answer.additional],
    query.edns || rcode > 0x0f ? ourOpt(query.edns, opts) : undefined,
    opts,
    layout,
  );
}

/** FORMERR, NOTIMP, REFUSED, SERVFAIL or BADVERS with no records; AA clear. */
export function encodeError(e: ErrorReply, opts: EncodeOptions): Buffer {
  return encodeMessage(
    { id: e.id, opcode: e.opcode, rd: e.rd, cd: e.cd ?? false, aa: false, ra: e.ra ?? false, rcode: e.rcode },
    e.question,
    [[], [], []],
    e.edns || e.rcode > 0x0f ? ourOpt(e.edns, opts) : undefined,
    opts,
  );
}

interface OurOpt {
  dnssecOk: boolean;
  /** RFC 5001 §2.3: the NSID option's payload, only to a query that asked for it. */
  nsid?: Buffer;
}

function ourOpt(edns: Edns | undefined, opts: EncodeOptions): OurOpt {
  const nsid = edns?.nsid && opts.nsid && opts.nsid.length > 0 ? opts.nsid : undefined;
  return nsid ? { dnssecOk: edns?.dnssecOk ?? false, nsid } : { dnssecOk: edns?.dnssecOk ?? false };
}

/** A WireLayout being filled by encodeMessage. */
interface LayoutRecorder {
  qname: WrittenName | undefined;
  questionEnd: number;
  records: WrittenRecord[];
}

interface Header {
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  aa: boolean;
  ra: boolean;
  rcode: number;
}

/**
 * Writes header, question, then the records of answer, authority and additional in order,
 * remembering where each record ends. Compression pointers only point backwards, so any prefix
 * of the records is a valid message: truncation (RFC 2181 §9, RFC 1035 §4.2.1) keeps the
 * longest prefix that fits together with our OPT, which must stay (RFC 6891 §7), and is
 * appended after the cut. Encoding stops at the first record that does not fit, so the work is
 * bounded by maxSize and linear in the records written.
 *
 * Dropping from the end removes additional records first (A glue before AAAA glue survives
 * longest, see lookup.ts), then authority, then answers; no RR is ever cut in half. TC is set
 * only when answer or authority records were lost (NSD, miekg Truncate), never for lost
 * additional data, and never when setTruncateBit is off (mesos-dns compat).
 */
function encodeMessage(
  header: Header,
  question: Question | undefined,
  sections: readonly [readonly ResourceRecord[], readonly ResourceRecord[], readonly ResourceRecord[]],
  opt: OurOpt | undefined,
  opts: EncodeOptions,
  layout?: LayoutRecorder,
): Buffer {
  const maxSize = Math.max(HEADER_LENGTH, Math.min(Math.floor(opts.maxSize), TCP_MAX));
  const optLength = opt ? OPT_LENGTH + (opt.nsid ? 4 + opt.nsid.length : 0) : 0;
  const w = new Writer(Math.min(maxSize, 1024));
  let names = new NameCompressor();

  w.ensure(HEADER_LENGTH);
  w.pos = HEADER_LENGTH;
  let qdcount = 0;
  const qname = question ? nameToWire(question.name) : undefined;
  if (question && qname) {
    w.ensure(qname.length + 4);
    w.pos = names.write(w.buf, w.pos, qname, true);
    if (layout) layout.qname = { at: HEADER_LENGTH, end: w.pos, pointer: names.lastPointer };
    w.u16(question.type);
    w.u16(question.class);
    qdcount = 1;
  }
  if (w.pos > maxSize) {
    // Not even the question fits a (nonsensical) budget this small: header only.
    w.pos = HEADER_LENGTH;
    qdcount = 0;
    names = new NameCompressor(); // forget pointers into the question we just dropped
    if (layout) layout.qname = undefined;
  }
  const questionEnd = w.pos;
  if (layout) layout.questionEnd = questionEnd;

  const counts = [0, 0, 0];
  let truncated = false;
  let withOpt = opt !== undefined;
  if (questionEnd + optLength > maxSize) {
    // Header and question fit, our OPT does not: send them alone and ask for TCP.
    withOpt = false;
    truncated = sections.some((s) => s.length > 0) || opt !== undefined;
  } else {
    let end = questionEnd;
    fill: for (let s = 0; s < 3; s++) {
      for (const rr of sections[s]) {
        const start = w.pos;
        const written: WrittenName[] | undefined = layout ? [] : undefined;
        // Records we cannot put on the wire (an over-long name, a malformed address) are
        // skipped rather than failing the whole reply.
        if (!writeRecord(w, names, rr, written)) continue;
        if (w.pos + optLength > maxSize) {
          truncated = s < 2;
          break fill;
        }
        end = w.pos;
        counts[s] += 1;
        if (layout && written) layout.records.push({ start, end, type: rrTypeOf(rr.data), names: written });
      }
    }
    w.pos = end;
  }

  if (withOpt && opt) {
    w.ensure(optLength);
    w.u8(0); // root owner (RFC 6891 §6.1.2)
    w.u16(QTYPE.OPT);
    w.u16(Math.max(UDP_MIN, Math.min(Math.floor(opts.ednsUdpSize), TCP_MAX)));
    w.u8((header.rcode >> 4) & 0xff); // extended RCODE, upper 8 bits
    w.u8(0); // EDNS version 0
    w.u16(opt.dnssecOk ? 0x8000 : 0); // DO copied from the query (RFC 3225 §3)
    if (opt.nsid) {
      // RFC 5001 §2.3: OPTION-CODE 3, the payload our identity; the client's other options are ignored.
      w.u16(4 + opt.nsid.length);
      w.u16(EDNS_OPTION.NSID);
      w.u16(opt.nsid.length);
      w.bytes(opt.nsid);
    } else {
      w.u16(0); // no options: the client's are ignored (RFC 6891 §6.1.2)
    }
  }

  const tc = truncated && opts.setTruncateBit;
  const b = w.buf;
  b[0] = (header.id >> 8) & 0xff;
  b[1] = header.id & 0xff;
  // QR, OPCODE, AA, TC, RD (RFC 1035 §4.1.1); ID, opcode and RD copied from the query.
  b[2] = 0x80 | ((header.opcode & 0x0f) << 3) | (header.aa ? 0x04 : 0) | (tc ? 0x02 : 0) | (header.rd ? 0x01 : 0);
  // RA, Z, AD (never: we do not validate), CD copied (RFC 4035 §3.1.6), RCODE low bits.
  b[3] = (header.ra ? 0x80 : 0) | (header.cd ? 0x10 : 0) | (header.rcode & 0x0f);
  b.writeUInt16BE(qdcount, 4);
  b.writeUInt16BE(counts[0], 6);
  b.writeUInt16BE(counts[1], 8);
  b.writeUInt16BE(counts[2] + (withOpt ? 1 : 0), 10);
  return b.subarray(0, w.pos);
}

/**
 * Writes one RR; returns false, writing nothing, when it cannot be encoded. With `written`, each
 * name's position and pointer go there (see WrittenRecord.names).
 */
export function writeRecord(w: Writer, names: NameCompressor, rr: ResourceRecord, written: WrittenName[] | undefined): boolean {
  const owner = nameToWire(rr.name);
  if (!owner) return false;
  const prepared = prepareRdata(rr.data);
  if (!prepared) return false;
  w.ensure(owner.length + 10 + prepared.room);
  writeName(w, names, owner, true, written);
  w.u16(rrTypeOf(rr.data));
  w.u16(rr.class ?? QCLASS.IN);
  // RFC 2181 §8: TTLs are 0..2^31-1.
  w.u32(Math.min(Math.max(0, Math.floor(rr.ttl) || 0), 0x7fffffff));
  const lengthAt = w.pos;
  w.pos += 2;
  writeRdata(w, names, prepared, written);
  w.buf.writeUInt16BE(w.pos - lengthAt - 2, lengthAt);
  return true;
}
