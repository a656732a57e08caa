// Class CHAOS (RFC 6895 §3.2) → Answer. Pure. CH queries never leave the server: forwarding them
// told any client which software and version the upstream runs. The four names servers use to
// identify themselves (BIND's version.bind and hostname.bind, RFC 4892 §2's id.server and
// version.server) answer with the configured `Identity`, as one TXT record of class CH, TTL 0,
// AA set; with no identity they are REFUSED, like every other CH name.
import { QCLASS, QTYPE, type Answer, type Question } from '../wire/message.js';

const IDENTITY_NAMES: ReadonlySet<string> = new Set(['version.bind', 'version.server', 'hostname.bind', 'id.server']);

/** `identity`: config Identity ("" = answer nothing). `ra`: the RA bit of every reply (RecurseOn). */
export function lookupChaos(question: Question, identity: string, ra: boolean): Answer {
  const name = question.name.toLowerCase().replace(/\.$/, '');
  if (identity === '' || !IDENTITY_NAMES.has(name)) return { kind: 'refused', aa: false, ra, answer: [], authority: [], additional: [] };
  if (question.type !== QTYPE.TXT && question.type !== QTYPE.ANY) {
    // The name exists (it has a TXT record): NODATA. There is no CH zone, so no SOA goes with it.
    return { kind: 'nodata', aa: true, ra, answer: [], authority: [], additional: [] };
  }
  const owner = question.name === '' ? '.' : question.name + '.';
  return {
    kind: 'success',
    aa: true,
    ra,
    answer: [{ name: owner, ttl: 0, class: QCLASS.CH, data: { type: QTYPE.TXT, texts: [identity] } }],
    authority: [],
    additional: [],
  };
}

/** The NSID payload (RFC 5001 §2.3) for this identity: its UTF-8 bytes; undefined when unset. */
export function nsidBytes(identity: string): Buffer | undefined {
  return identity === '' ? undefined : Buffer.from(identity, 'utf8');
}
