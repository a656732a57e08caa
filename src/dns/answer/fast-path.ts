// The per-query fast path: question bytes -> key -> pre-encoded answer (answer-cache.ts) ->
// a copy with the query's ID, RD and CD bits, question case and OPT patched in. No Query
// object, no name strings beyond the map key, no encoder run.
//
// It answers only what it can answer byte-for-byte as the ordinary pipeline (parseQuery ->
// route -> lookup -> encodeAnswer) would, rotation aside (see pre-encode.ts): a plain QUERY
// with one IN question whose name is written out (no compression pointer) inside our zone, and
// either no additional record or exactly one OPT of version 0 without options. For anything
// else (ANY, EDNS options, other classes, names we forward, shapes the cache does not model,
// a 0x20-mixed-case name where case would change the compression) it returns undefined and
// the caller runs the ordinary pipeline. test/fast-path-equivalence.test.ts compares the two on every name
// of a table, with and without EDNS, in mixed case and under each size limit.
//
// Synchronous and allocation-light on purpose: the UDP server sends the result in the same
// tick it received the query.
import { CACHED_TYPES, NODATA, NXDOMAIN, SLOW, type AnswerCache } from './answer-cache.js';
import type { PreEncoded } from './pre-encode.js';
import { QTYPE, RCODE } from '../wire/message.js';
import { readName } from '../wire/name-wire.js';
import { HEADER_LENGTH, MAX_NAME_OCTETS, OPT_LENGTH, TCP_MAX, UDP_MIN } from '../wire/constants.js';
import type { Transport } from '../forward/forward.js';
import { shuffledIndices } from './answer-order.js';

/** The lower-cased QNAME + QTYPE of the query being answered (the map key's bytes). */
const scratch = Buffer.allocUnsafe(MAX_NAME_OCTETS + 2);
/** SRV rotation: per target number, where its first target sits in the reply being built. */
let firstTargetAt = new Int32Array(64);
let targetOrder = new Int32Array(64);
/** AnswerOrder shuffle: this reply's order of the entry's answers (indices in table order). */
let perm = new Int32Array(64);

/**
 * The reply to `query` received over `transport`, from `cache`; undefined when the ordinary
 * pipeline must answer. Never throws on any input (test/fast-path-declines.test.ts fuzzes it).
 * `random`: [0, 1), the query context's, for AnswerOrder "shuffle" (drawn as lookup.ts draws).
 */
export function fastAnswer(query: Buffer, transport: Transport, cache: AnswerCache, random: () => number): Buffer | undefined {
  const zoneWire = cache.zoneWire;
  if (zoneWire === undefined) return undefined;
  const q = query;
  const len = q.length;
  if (len < HEADER_LENGTH + 5) return undefined;
  // QR clear and OPCODE QUERY (RFC 1035 §4.1.1); one question, no answer or authority records,
  // at most one additional record (the OPT).
  if ((q[2] & 0xf8) !== 0 || q[4] !== 0 || q[5] !== 1 || q[6] !== 0 || q[7] !== 0 || q[8] !== 0 || q[9] !== 0 || q[10] !== 0 || q[11] > 1) {
    return undefined;
  }

  let pos = HEADER_LENGTH;
  let lastUpper = -1;
  /** Every label octet prints as itself in presentation form (no \DDD escape needed). */
  let plain = true;
  for (;;) {
    if (pos >= len) return undefined;
    const labelLength = q[pos];
    if (labelLength === 0) break;
    // A compression pointer (or a reserved label type) in a question: leave it to parseQuery.
    if (labelLength > 63) return undefined;
    const end = pos + 1 + labelLength;
    if (end >= len) return undefined;
    for (let i = pos + 1; i < end; i++) {
      const c = q[i];
      if (c >= 0x41 && c <= 0x5a) lastUpper = i;
      else if (c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x5c) plain = false;
    }
    pos = end;
  }
  const qnameEnd = pos + 1;
  if (qnameEnd - HEADER_LENGTH > MAX_NAME_OCTETS) return undefined;
  const questionEnd = qnameEnd + 4;
  if (questionEnd > len || q[qnameEnd + 2] !== 0 || q[qnameEnd + 3] !== 1) return undefined; // class IN only
  const qtype = (q[qnameEnd] << 8) | q[qnameEnd + 1];

  // EDNS (RFC 6891 §6.1.2): root owner, TYPE 41, CLASS = UDP size, TTL = ext-rcode, version, DO.
  let opt = 0; // 0: none, 1: OPT, 2: OPT with DO
  let limit: number;
  if (q[11] === 1) {
    const o = questionEnd;
    if (o + OPT_LENGTH !== len) return undefined;
    // Version 0 only (BADVERS is the ordinary path's), and no options.
    if (q[o] !== 0 || q[o + 1] !== 0 || q[o + 2] !== QTYPE.OPT || q[o + 6] !== 0 || q[o + 9] !== 0 || q[o + 10] !== 0) return undefined;
    opt = q[o + 7] & 0x80 ? 2 : 1;
    if (transport === 'tcp') {
      limit = TCP_MAX;
    } else {
      // maxResponseSize (encode.ts): the client's size, raised to 512, capped at ours.
      const size = (q[o + 3] << 8) | q[o + 4];
      limit = size < UDP_MIN ? UDP_MIN : size > cache.ednsCeiling ? cache.ednsCeiling : size;
    }
  } else {
    if (questionEnd !== len) return undefined;
    limit = transport === 'tcp' ? TCP_MAX : UDP_MIN;
  }

  // Our zone only: the name must end with the zone's labels, in any case.
  const zoneLength = zoneWire.length;
  const zoneAt = qnameEnd - zoneLength;
  if (zoneAt < HEADER_LENGTH) return undefined;
  let at = HEADER_LENGTH;
  let labelBeforeZone = -1;
  while (at < zoneAt) {
    labelBeforeZone = at;
    at += 1 + q[at];
  }
  if (at !== zoneAt) return undefined;
  for (let i = 0; i < zoneLength; i++) {
    let c = q[zoneAt + i];
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== zoneWire[i]) return undefined;
  }

  if (qtype === QTYPE.ANY || qtype === QTYPE.AXFR || qtype === QTYPE.IXFR) return undefined;
  const nameLength = qnameEnd - HEADER_LENGTH;
  if (CACHED_TYPES.has(qtype)) {
    const key = lastUpper < 0 ? q.toString('latin1', HEADER_LENGTH, qnameEnd + 2) : lowerKey(q, nameLength);
    let entry = cache.get(key);
    if (entry === undefined) {
      if (lastUpper < 0) lowerKey(q, nameLength);
      const filled = cache.fill(key, presentation(nameLength, plain), qtype);
      if (filled === SLOW) return undefined;
      if (filled === NXDOMAIN) return negative(q, questionEnd, zoneAt, labelBeforeZone, lastUpper, RCODE.NXDOMAIN, limit, opt, cache);
      entry = filled;
    }
    if (entry === NODATA) return negative(q, questionEnd, zoneAt, labelBeforeZone, lastUpper, RCODE.NOERROR, limit, opt, cache);
    if (lastUpper >= entry.caseFrom) return undefined;
    cache.replyNameHash = entry.nameHash;
    return fromEntry(q, entry, qnameEnd, lastUpper >= 0, limit, opt, cache, random);
  }

  // Any other type: the name exists (NODATA) or not (NXDOMAIN); nothing per name is kept.
  lowerKey(q, nameLength);
  const name = presentation(nameLength, plain);
  const rcode = cache.exists(name === '' ? '.' : `${name}.`) ? RCODE.NOERROR : RCODE.NXDOMAIN;
  return negative(q, questionEnd, zoneAt, labelBeforeZone, lastUpper, rcode, limit, opt, cache);
}

/** Copies QNAME + QTYPE into `scratch` with A-Z lower-cased and returns it as a latin1 key. */
function lowerKey(q: Buffer, nameLength: number): string {
  const n = nameLength + 2;
  for (let i = 0; i < n; i++) {
    const c = q[HEADER_LENGTH + i];
    scratch[i] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
  }
  return scratch.toString('latin1', 0, n);
}

/**
 * The lower-case presentation name (no trailing dot, "" for the root) of the QNAME held in
 * `scratch` by lowerKey; overwrites the length octets of `scratch` when `plain`.
 */
function presentation(nameLength: number, plain: boolean): string {
  if (!plain) {
    const read = readName(scratch.subarray(0, nameLength), 0);
    return read.ok ? read.name : '';
  }
  let p = 0;
  while (scratch[p] !== 0) {
    const next = p + 1 + scratch[p];
    scratch[p] = 0x2e;
    p = next;
  }
  return p === 0 ? '' : scratch.toString('latin1', 1, p);
}

/** Header bytes 2 and 3 of a reply: the entry's flags plus the query's RD and CD (RFC 4035 §3.1.6). */
function flags(out: Buffer, q: Buffer, b2: number, b3: number, tc: boolean): void {
  out[0] = q[0];
  out[1] = q[1];
  out[2] = b2 | (q[2] & 0x01) | (tc ? 0x02 : 0);
  out[3] = b3 | (q[3] & 0x10);
}

function counts(out: Buffer, answers: number, authority: number, additional: number): void {
  out[4] = 0;
  out[5] = 1;
  out[6] = answers >> 8;
  out[7] = answers & 0xff;
  out[8] = authority >> 8;
  out[9] = authority & 0xff;
  out[10] = additional >> 8;
  out[11] = additional & 0xff;
}

/** Our OPT (as encode.ts writes it): our UDP size, DO copied from the query (RFC 3225 §3). */
function writeOpt(out: Buffer, at: number, udpSize: number, dnssecOk: boolean): void {
  out[at] = 0;
  out[at + 1] = 0;
  out[at + 2] = QTYPE.OPT;
  out[at + 3] = udpSize >> 8;
  out[at + 4] = udpSize & 0xff;
  out[at + 5] = 0;
  out[at + 6] = 0;
  out[at + 7] = dnssecOk ? 0x80 : 0;
  out[at + 8] = 0;
  out[at + 9] = 0;
  out[at + 10] = 0;
}

/** Fills `perm` with this reply's shuffled order of `n` answers. */
function shuffle(n: number, random: () => number): void {
  if (perm.length < n) perm = new Int32Array(n * 2);
  shuffledIndices(perm, n, random);
}

function fromEntry(
  q: Buffer,
  e: PreEncoded,
  qnameEnd: number,
  mixedCase: boolean,
  limit: number,
  opt: number,
  cache: AnswerCache,
  random: () => number,
): Buffer | undefined {
  const optLength = opt === 0 ? 0 : OPT_LENGTH;
  const wire = e.wire;
  const first = e.questionEnd;
  let size: number;
  let answers = e.answers;
  let authority = e.authority;
  let additional = e.additional;
  let truncated = false;
  let out: Buffer;

  switch (e.layout) {
    case 'plain': {
      size = wire.length;
      if (size + optLength > limit) {
        // The longest run of whole records that fits with our OPT (encode.ts): dropping
        // answer or authority records sets TC, dropping additional ones does not.
        const ends = e.recordEnds;
        let k = 0;
        while (k < ends.length && ends[k] + optLength <= limit) k++;
        size = k === 0 ? first : ends[k - 1];
        truncated = k < e.answers + e.authority;
        answers = Math.min(answers, k);
        authority = Math.min(authority, Math.max(0, k - e.answers));
        additional = Math.max(0, k - e.answers - e.authority);
      }
      out = Buffer.allocUnsafe(size + optLength);
      wire.copy(out, 0, 0, size);
      break;
    }
    case 'uniform': {
      const n = e.answers;
      const recordSize = e.recordSize;
      let k = n;
      if (wire.length + optLength > limit) k = Math.max(0, Math.min(n, Math.floor((limit - optLength - first) / recordSize)));
      size = first + k * recordSize;
      out = Buffer.allocUnsafe(size + optLength);
      wire.copy(out, 0, 0, first);
      if (cache.roundRobin) {
        const r = e.next;
        e.next = r + 1 === n ? 0 : r + 1;
        // Records r..n-1, then 0..: the RRset rotated by r.
        const head = Math.min(k, n - r);
        wire.copy(out, first, first + r * recordSize, first + (r + head) * recordSize);
        if (k > head) wire.copy(out, first + head * recordSize, first, first + (k - head) * recordSize);
      } else {
        // The first k of this reply's permutation (the encoder cuts a shuffled set from its end).
        shuffle(n, random);
        for (let i = 0, to = first; i < k; i++, to += recordSize) {
          // Byte by byte: a record is 16 or 28 bytes, less than a Buffer.copy call costs.
          const from = first + perm[i] * recordSize;
          for (let b = 0; b < recordSize; b++) out[to + b] = wire[from + b];
        }
      }
      truncated = k < n;
      answers = k;
      break;
    }
    case 'srv': {
      const srv = e.srv!;
      const n = e.answers;
      const roundRobin = cache.roundRobin;
      const r = roundRobin ? e.next : 0;
      if (roundRobin) e.next = r + 1 === n ? 0 : r + 1;
      else shuffle(n, random);
      const room = limit - optLength;
      out = Buffer.allocUnsafe(Math.min(wire.length, room) + optLength);
      wire.copy(out, 0, 0, first);
      if (firstTargetAt.length < srv.targetCount) {
        firstTargetAt = new Int32Array(srv.targetCount * 2);
        targetOrder = new Int32Array(srv.targetCount * 2);
      }
      firstTargetAt.fill(-1, 0, srv.targetCount);
      let seen = 0;
      let p = first;
      answers = 0;
      for (let i = 0; i < n; i++) {
        const j = !roundRobin ? perm[i] : r + i < n ? r + i : r + i - n;
        const length = srv.lengths[j];
        if (p + length > room) {
          truncated = true;
          break;
        }
        wire.copy(out, p, srv.starts[j], srv.starts[j] + length);
        const t = srv.targets[j];
        if (firstTargetAt[t] < 0) {
          firstTargetAt[t] = p + 18; // the target, after owner pointer, fixed fields, priority/weight/port
          targetOrder[seen++] = t;
        }
        p += length;
        answers++;
      }
      additional = 0;
      // Glue (only when every answer fit, as the encoder stops at the first record that does
      // not): A records of each target in answer order, then AAAA; each owner points at the
      // target's first appearance.
      if (!truncated) {
        glue: for (let pass = 0; pass < 2; pass++) {
          const lists = pass === 0 ? srv.glueA : srv.glueAAAA;
          const body = pass === 0 ? 14 : 26; // TYPE..RDLENGTH (10) + 4 or 16 address octets
          for (let s = 0; s < seen; s++) {
            const t = targetOrder[s];
            const list = lists[t];
            for (let g = 0; g < list.length; g++) {
              if (p + 2 + body > room) break glue;
              const pointer = firstTargetAt[t];
              out[p] = 0xc0 | (pointer >> 8);
              out[p + 1] = pointer & 0xff;
              wire.copy(out, p + 2, list[g], list[g] + body);
              p += 2 + body;
              additional++;
            }
          }
        }
      }
      size = p;
      if (size + optLength < out.length) out = out.subarray(0, size + optLength);
      break;
    }
    default:
      return undefined;
  }

  // The question as the client wrote it (0x20); the entry holds the lower-case one.
  if (mixedCase) q.copy(out, HEADER_LENGTH, HEADER_LENGTH, qnameEnd);
  flags(out, q, wire[2], wire[3], truncated && cache.setTruncateBit);
  counts(out, answers, authority, additional + (opt === 0 ? 0 : 1));
  if (opt !== 0) writeOpt(out, size, cache.ednsUdpSize, opt === 2);
  return out;
}

/**
 * NXDOMAIN or NODATA (RFC 2308 §3): the question as sent, the zone SOA from the cache's tail
 * with its pointers re-aimed for this query. Undefined when the tail would not be what the
 * encoder writes for this name (see NegativeTail) or does not fit.
 */
function negative(
  q: Buffer,
  questionEnd: number,
  zoneAt: number,
  labelBeforeZone: number,
  lastUpper: number,
  rcode: number,
  limit: number,
  opt: number,
  cache: AnswerCache,
): Buffer | undefined {
  const tails = cache.negative;
  if (tails === undefined) return undefined;
  cache.replyNameHash = -1;
  // How many of the zone's trailing labels the query wrote in lower case picks the tail.
  const labels = cache.zoneLabels;
  let lower = labels.length;
  while (lower > 0 && zoneAt + labels[labels.length - lower] <= lastUpper) lower--;
  // With the whole zone in lower case, an SOA name may also match the label before it.
  if (lower === labels.length && labelBeforeZone >= 0 && isBlocked(q, labelBeforeZone, zoneAt, cache.blockedLabels)) return undefined;
  const tail = tails[lower];
  const optLength = opt === 0 ? 0 : OPT_LENGTH;
  const size = questionEnd + tail.bytes.length;
  if (size + optLength > limit) return undefined;
  const out = Buffer.allocUnsafe(size + optLength);
  q.copy(out, 0, 0, questionEnd);
  // QR, AA, RD copied; RA per config, CD copied, the rcode.
  flags(out, q, 0x84, cache.raBit | rcode, false);
  counts(out, 0, 1, opt === 0 ? 0 : 1);
  tail.bytes.copy(out, questionEnd);
  for (const [offset, delta] of tail.zonePointers) {
    const target = zoneAt + delta;
    out[questionEnd + offset] = 0xc0 | (target >> 8);
    out[questionEnd + offset + 1] = target & 0xff;
  }
  for (const [offset, delta] of tail.tailPointers) {
    const target = questionEnd + delta;
    out[questionEnd + offset] = 0xc0 | (target >> 8);
    out[questionEnd + offset + 1] = target & 0xff;
  }
  if (opt !== 0) writeOpt(out, size, cache.ednsUdpSize, opt === 2);
  return out;
}

/** Whether the label at `at` (ending at `end`) is one of `labels`, byte for byte (compression is case-sensitive). */
function isBlocked(q: Buffer, at: number, end: number, labels: readonly Buffer[]): boolean {
  const length = end - at - 1;
  next: for (const label of labels) {
    if (label.length !== length) continue;
    for (let i = 0; i < length; i++) if (q[at + 1 + i] !== label[i]) continue next;
    return true;
  }
  return false;
}
