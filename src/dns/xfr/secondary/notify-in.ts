// A NOTIFY a secondary receives (RFC 1996): which zone it names, whether we take it, and the
// reply (§4.7: the request's ID, opcode and question, QR and AA set, nothing else). Taken only
// from a primary's address (§3.10) and, with TransferTsigKey set, signed with that key (RFC 8945
// §5.2); others are REFUSED. A zone we do not follow is NOTAUTH. Pure: the caller starts the
// refresh the answer asks for.
import type { Config } from '../../../config/typed.js';
import { keyName } from '../../../config/tsig-keys.js';
import { canonicalIP } from '../../../net/address.js';
import { encodeAnswer, encodeError, type EncodeOptions } from '../../wire/encode.js';
import { OPCODE, QCLASS, QTYPE, RCODE, type Query } from '../../wire/message.js';
import { readName } from '../../wire/name-wire.js';
import { scanMessage } from '../../wire/reply-scan.js';
import { signMessage, verifyRequest, type SignState } from '../../wire/tsig-mac.js';
import { readTsig, TSIG_ERROR, tsigErrorReply } from '../../wire/tsig.js';

export type NotifyResult = 'accepted' | 'refused' | 'notauth' | 'tsig_error';

export interface NotifyVerdict {
  /** The reply; null when the message is not worth one (no header to answer to). */
  reply: Buffer | null;
  result: NotifyResult;
  /** The zone to refresh now (accepted only). */
  zone?: string;
}

const OPTS: EncodeOptions = { maxSize: 512, setTruncateBit: false, ednsUdpSize: 512 };

/** `buf` a NOTIFY request from `client` (an IP), for a secondary following `zones` from `primaries` (IPs). */
export function answerNotify(buf: Buffer, client: string, config: Config, zones: readonly string[], primaries: readonly string[], now: number): NotifyVerdict {
  let query: Query;
  let tsigAt = buf.length;
  try {
    const scanned = scanMessage(buf);
    if (scanned.qdcount !== 1) return { reply: header(buf, RCODE.FORMERR), result: 'refused' };
    const q = readName(buf, 12);
    if (!q.ok) return { reply: header(buf, RCODE.FORMERR), result: 'refused' };
    query = {
      id: scanned.id,
      opcode: OPCODE.NOTIFY,
      rd: false,
      cd: false,
      question: { name: q.name, type: buf.readUInt16BE(q.next), class: buf.readUInt16BE(q.next + 2) },
    };
    const last = scanned.records.at(-1);
    if (last !== undefined && last.type === QTYPE.TSIG) {
      const tsig = readTsig(buf, last.start, last.rdataOffset, last.end);
      if (tsig === undefined || last.section !== 'additional') return { reply: header(buf, RCODE.FORMERR), result: 'tsig_error' };
      query.tsig = tsig;
      tsigAt = last.start;
    }
  } catch {
    return { reply: header(buf, RCODE.FORMERR), result: 'refused' };
  }

  let signer: SignState | undefined;
  const tsig = query.tsig;
  if (tsig !== undefined) {
    const key = config.typed.transfer.keys.find((k) => k.name === keyName(tsig.keyName) && k.algorithm === keyName(tsig.algorithm));
    if (key === undefined) return { reply: tsigErrorReply({ ...query, tsig }, TSIG_ERROR.BADKEY, OPTS), result: 'tsig_error' };
    const verdict = verifyRequest(buf, tsigAt, tsig, key, now);
    if (!verdict.ok) return { reply: tsigErrorReply({ ...query, tsig }, verdict.error, OPTS), result: 'tsig_error' };
    signer = { key, priorMac: tsig.mac, signed: 0 };
  }
  const sign = (m: Buffer): Buffer => (signer ? signMessage(m, signer, now) : m);
  const fail = (rcode: number, result: NotifyResult): NotifyVerdict => ({ reply: sign(encodeError({ ...query, rcode }, OPTS)), result });

  const from = canonicalIP(client) ?? client;
  if (!primaries.some((p) => (canonicalIP(p) ?? p) === from)) return fail(RCODE.REFUSED, 'refused');
  const required = config.typed.transfer.requiredKey;
  if (required !== undefined && signer?.key.name !== required) return fail(RCODE.REFUSED, 'tsig_error');
  const zone = `${query.question.name.toLowerCase()}.`;
  // §3.7: the question is the zone's SOA; any other is not a NOTIFY of ours to act on.
  if (!zones.includes(zone) || query.question.type !== QTYPE.SOA || query.question.class !== QCLASS.IN) return fail(RCODE.NOTAUTH, 'notauth');
  const reply = encodeAnswer(query, { kind: 'success', aa: true, ra: false, answer: [], authority: [], additional: [] }, OPTS);
  return { reply: sign(reply), result: 'accepted', zone };
}

/** A request (QR clear) with opcode NOTIFY (RFC 1996 §3.1): a secondary takes these, not parseQuery. */
export function isNotifyRequest(buf: Buffer): boolean {
  return buf.length >= 12 && (buf[2] & 0x80) === 0 && ((buf[2] >> 3) & 0x0f) === OPCODE.NOTIFY;
}

/** A bare reply header with `rcode` for a message we cannot read further. */
function header(buf: Buffer, rcode: number): Buffer | null {
  if (buf.length < 12) return null;
  const out = Buffer.alloc(12);
  buf.copy(out, 0, 0, 2);
  out[2] = 0x80 | (buf[2] & 0x78);
  out[3] = rcode;
  return out;
}
