// TSIG (RFC 8945): reading a request's TSIG record, and the unsigned error reply for a key we do
// not hold. Pure. The server holds no TSIG keys yet, so every signed query it would answer itself
// gets NOTAUTH + BADKEY (§5.2); a later HMAC implementation verifies `TsigRecord.mac` with a key
// looked up by `keyName`/`algorithm` and signs replies, and keeps using readTsig and
// tsigErrorReply for the failures (§5.3.2: errors about the key or MAC go back unsigned).
import { encodeError, type EncodeOptions } from './encode.js';
import { QCLASS, QTYPE, RCODE, type Query, type TsigRecord } from './message.js';
import { nameToWire, readName } from './name-wire.js';

/** TSIG ERROR values (RFC 8945 §4.2, IANA "TSIG/TKEY RR error values"). */
export const TSIG_ERROR = { BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;

/**
 * The TSIG RR whose owner starts at `ownerAt` and whose RDATA is [rdataAt, end) in `buf`, or
 * undefined when it does not parse (the caller answers FORMERR). RDATA (§4.2): Algorithm Name,
 * Time Signed (u48), Fudge, MAC Size, MAC, Original ID, Error, Other Len, Other Data, filling
 * RDLENGTH exactly. The class must be ANY and the TTL 0 (§4.2).
 */
export function readTsig(buf: Buffer, ownerAt: number, rdataAt: number, end: number): TsigRecord | undefined {
  const owner = readName(buf, ownerAt);
  if (!owner.ok || rdataAt - 10 !== owner.next) return undefined;
  const klass = buf.readUInt16BE(owner.next + 2);
  const ttl = buf.readUInt32BE(owner.next + 4);
  if (klass !== QCLASS.ANY || ttl !== 0) return undefined;
  // Read within RDATA only: a name running past it is malformed.
  const algorithm = readName(buf.subarray(0, end), rdataAt);
  if (!algorithm.ok) return undefined;
  let at = algorithm.next;
  if (at + 10 > end) return undefined;
  const timeSigned = buf.readUIntBE(at, 6);
  const fudge = buf.readUInt16BE(at + 6);
  const macSize = buf.readUInt16BE(at + 8);
  at += 10;
  if (at + macSize + 6 > end) return undefined;
  const mac = Buffer.from(buf.subarray(at, at + macSize));
  at += macSize;
  const originalId = buf.readUInt16BE(at);
  const error = buf.readUInt16BE(at + 2);
  const otherLength = buf.readUInt16BE(at + 4);
  at += 6;
  if (at + otherLength !== end) return undefined;
  const other = Buffer.from(buf.subarray(at, end));
  return { keyName: owner.name, algorithm: algorithm.name, timeSigned, fudge, mac, originalId, error, other };
}

/**
 * The TSIG RR of an unsigned error reply (§5.3.2): the request's key name and algorithm, its
 * Time Signed and Fudge copied (no clock is read: BADTIME, the one error that needs our time,
 * is a signed reply and the HMAC implementation's), MAC Size 0, the request's Original ID, the
 * error, no Other Data. Class ANY, TTL 0 (§4.2). Undefined if a name has no wire form.
 */
export function tsigErrorRecord(request: TsigRecord, error: number): Buffer | undefined {
  const owner = nameToWire(request.keyName);
  const algorithm = nameToWire(request.algorithm);
  if (!owner || !algorithm) return undefined;
  const rdlength = algorithm.length + 16;
  const out = Buffer.alloc(owner.length + 10 + rdlength);
  let at = owner.copy(out, 0);
  at = out.writeUInt16BE(QTYPE.TSIG, at);
  at = out.writeUInt16BE(QCLASS.ANY, at);
  at = out.writeUInt32BE(0, at);
  at = out.writeUInt16BE(rdlength, at);
  at += algorithm.copy(out, at);
  at = out.writeUIntBE(request.timeSigned, at, 6);
  at = out.writeUInt16BE(request.fudge, at);
  at = out.writeUInt16BE(0, at); // MAC Size: unsigned (§5.3.2)
  at = out.writeUInt16BE(request.originalId, at);
  at = out.writeUInt16BE(error, at);
  out.writeUInt16BE(0, at); // Other Len
  return out;
}

/**
 * NOTAUTH with a TSIG RR carrying `error` (BADKEY for a key we do not hold, §5.2), the question
 * echoed, our OPT when the query had one, and the TSIG RR last (§5.1: TSIG ends the message,
 * after OPT). When the TSIG RR would not fit the size limit, it is left out and TC set, so the
 * client retries over TCP (RFC 1035 §4.2.1).
 */
export function tsigErrorReply(query: Query & { tsig: TsigRecord }, error: number, opts: EncodeOptions): Buffer {
  const base = encodeError({ ...query, rcode: RCODE.NOTAUTH }, opts);
  const record = tsigErrorRecord(query.tsig, error);
  if (!record) return base;
  if (base.length + record.length > opts.maxSize) {
    base[2] |= 0x02; // TC
    return base;
  }
  const out = Buffer.concat([base, record]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10); // ARCOUNT
  return out;
}
