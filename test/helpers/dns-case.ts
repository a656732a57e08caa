// CoreDNS-style DNS test cases (plugin/test/helpers.go: Case + SortAndCheck): a query, the
// expected rcode and each section as presentation strings, compared after sorting, since
// answers are shuffled. Replies come from any of three places, each turned into a
// ReplySummary first:
//   - summaryFromAnswer(lookup(...))          pure lookup tests
//   - summaryFromWire(buf)                    bytes from our encoder or a real socket (dns-packet decodes)
//   - summaryFromDig(stdout)                  `dig` output (default format, not +multiline)
// Record strings look like "leader.mesos. 60 IN A 10.0.0.1"; whitespace is normalised, owner
// names are compared exactly (so 0x20 case survival is checked), AAAA addresses canonicalised.
import { expect } from '@jest/globals';
import dnsPacket from 'dns-packet';
import { GENERIC_RDATA, QCLASS, QTYPE, type Answer, type Query, type ResourceRecord, type ResultKind } from '../../src/dns/wire/message.js';

export type RcodeName = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED' | 'BADVERS';

export interface DnsCase {
  qname: string;
  /** 'A', 'SRV', 'ANY', ... */
  qtype: string;
  /** 'IN' unless given. */
  qclass?: string;
  rcode: RcodeName;
  /** Missing sections must be empty. The OPT record is never listed here. */
  answer?: readonly string[];
  authority?: readonly string[];
  additional?: readonly string[];
  /** Checked only when given. */
  aa?: boolean;
  tc?: boolean;
}

export interface ReplySummary {
  rcode: string;
  aa: boolean;
  tc: boolean;
  answer: string[];
  authority: string[];
  additional: string[];
}

const RCODE_NAMES: Record<number, RcodeName> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  16: 'BADVERS',
};

const KIND_RCODE: Record<ResultKind, RcodeName> = {
  success: 'NOERROR',
  nodata: 'NOERROR',
  nxdomain: 'NXDOMAIN',
  servfail: 'SERVFAIL',
  refused: 'REFUSED',
  notimp: 'NOTIMP',
  formerr: 'FORMERR',
  badvers: 'BADVERS',
};

const absolute = (name: string): string => (name.endsWith('.') ? name : name + '.');

/** RFC 5952 text for an IPv6 address, via the WHATWG URL host serialiser. */
function canonicalIPv6(address: string): string {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}

/** One presentation string with single spaces, upper-case class/type, canonical AAAA. */
export function normaliseRR(text: string): string {
  const f = text.trim().split(/\s+/);
  if (f.length >= 5) {
    f[2] = f[2].toUpperCase();
    f[3] = f[3].toUpperCase();
    if (f[3] === 'AAAA') f[4] = canonicalIPv6(f[4]);
  }
  return f.join(' ');
}

/** Our ResourceRecord as a presentation string. */
export function rrToString(rr: ResourceRecord): string {
  const head = `${absolute(rr.name)} ${rr.ttl} ${rr.class === QCLASS.CH ? 'CH' : 'IN'}`;
  const d = rr.data;
  switch (d.type) {
    case QTYPE.A:
      return `${head} A ${d.address}`;
    case QTYPE.AAAA:
      return `${head} AAAA ${canonicalIPv6(d.address)}`;
    case QTYPE.SRV:
      return `${head} SRV ${d.priority} ${d.weight} ${d.port} ${absolute(d.target)}`;
    case QTYPE.NS:
      return `${head} NS ${absolute(d.target)}`;
    case QTYPE.PTR:
      return `${head} PTR ${absolute(d.target)}`;
    case QTYPE.SOA:
      return `${head} SOA ${absolute(d.mname)} ${absolute(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case QTYPE.TXT:
      return `${head} TXT ${d.texts.map((t) => JSON.stringify(typeof t === 'string' ? t : Buffer.from(t).toString('latin1'))).join(' ')}`;
    case QTYPE.HINFO:
      return `${head} HINFO ${JSON.stringify(d.cpu)} ${JSON.stringify(d.os)}`;
    case QTYPE.CNAME:
      return `${head} CNAME ${absolute(d.target)}`;
    case QTYPE.MX:
      return `${head} MX ${d.preference} ${absolute(d.exchange)}`;
    case QTYPE.CAA:
      return `${head} CAA ${d.flags} ${d.tag} ${JSON.stringify(Buffer.from(d.value).toString('latin1'))}`;
    case GENERIC_RDATA:
      return `${head} TYPE${d.rrtype} \\# ${d.bytes.length}${d.bytes.length > 0 ? ' ' + Buffer.from(d.bytes).toString('hex').toUpperCase() : ''}`;
  }
}

export function summaryFromAnswer(a: Answer): ReplySummary {
  return {
    rcode: KIND_RCODE[a.kind],
    aa: a.aa,
    tc: false,
    answer: a.answer.map(rrToString),
    authority: a.authority.map(rrToString),
    additional: a.additional.map(rrToString),
  };
}

function packetRRToString(rr: dnsPacket.Answer): string {
  const head = `${absolute(rr.name)} ${'ttl' in rr ? rr.ttl : 0} ${'class' in rr ? rr.class : 'IN'}`;
  switch (rr.type) {
    case 'A':
    case 'AAAA':
      return normaliseRR(`${head} ${rr.type} ${rr.data}`);
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return `${head} ${rr.type} ${absolute(rr.data)}`;
    case 'SRV':
      return `${head} SRV ${rr.data.priority ?? 0} ${rr.data.weight ?? 0} ${rr.data.port} ${absolute(rr.data.target)}`;
    case 'SOA': {
      const s = rr.data;
      return `${head} SOA ${absolute(s.mname)} ${absolute(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    default:
      return `${head} ${rr.type} ?`;
  }
}

/** Decodes reply bytes with dns-packet; the rcode includes the OPT's extended bits. */
export function summaryFromWire(buf: Buffer): ReplySummary {
  const p = dnsPacket.decode(buf);
  const opt = (p.additionals ?? []).find((rr): rr is dnsPacket.OptAnswer => rr.type === 'OPT');
  const rcode = ((opt?.extendedRcode ?? 0) << 4) | (buf[3] & 0x0f);
  return {
    rcode: RCODE_NAMES[rcode] ?? `RCODE_${rcode}`,
    aa: p.flag_aa,
    tc: p.flag_tc,
    answer: (p.answers ?? []).map(packetRRToString),
    authority: (p.authorities ?? []).map(packetRRToString),
    additional: (p.additionals ?? []).filter((rr) => rr.type !== 'OPT').map(packetRRToString),
  };
}

/** Parses dig's default output: status, flags and the three record sections. */
export function summaryFromDig(stdout: string): ReplySummary {
  const summary: ReplySummary = { rcode: '', aa: false, tc: false, answer: [], authority: [], additional: [] };
  let section: 'answer' | 'authority' | 'additional' | undefined;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    const status = /status: ([A-Z0-9_]+)/.exec(line);
    if (status) summary.rcode = status[1];
    const flags = /^;; flags: ([^;]*);/.exec(line);
    if (flags) {
      const set = flags[1].trim().split(/\s+/);
      summary.aa = set.includes('aa');
      summary.tc = set.includes('tc');
    }
    if (line === ';; ANSWER SECTION:') section = 'answer';
    else if (line === ';; AUTHORITY SECTION:') section = 'authority';
    else if (line === ';; ADDITIONAL SECTION:') section = 'additional';
    else if (line === '') section = undefined;
    else if (section && !line.startsWith(';')) summary[section].push(normaliseRR(line));
  }
  return summary;
}

const sorted = (rrs: readonly string[] | undefined): string[] => (rrs ?? []).map(normaliseRR).sort();

/**
 * Asserts the reply matches the case: rcode, each section as a sorted list, and AA/TC when the
 * case names them. One toEqual over the whole shape, so a failure shows every difference.
 */
export function checkReply(c: DnsCase, got: ReplySummary): void {
  const want: Record<string, unknown> = {
    rcode: c.rcode,
    answer: sorted(c.answer),
    authority: sorted(c.authority),
    additional: sorted(c.additional),
  };
  const have: Record<string, unknown> = {
    rcode: got.rcode,
    answer: sorted(got.answer),
    authority: sorted(got.authority),
    additional: sorted(got.additional),
  };
  if (c.aa !== undefined) {
    want.aa = c.aa;
    have.aa = got.aa;
  }
  if (c.tc !== undefined) {
    want.tc = c.tc;
    have.tc = got.tc;
  }
  expect({ case: `${c.qname} ${c.qclass ?? 'IN'} ${c.qtype}`, ...have }).toEqual({ case: `${c.qname} ${c.qclass ?? 'IN'} ${c.qtype}`, ...want });
}

/** The case's query as our parser would produce it (qname as written, without the trailing dot). */
export function caseQuery(c: DnsCase, extra: Partial<Omit<Query, 'question'>> = {}): Query {
  const type = (QTYPE as Record<string, number>)[c.qtype.toUpperCase()];
  const klass = (QCLASS as Record<string, number>)[(c.qclass ?? 'IN').toUpperCase()];
  if (type === undefined || klass === undefined) throw new Error(`dns case: unknown type/class ${c.qtype}/${c.qclass}`);
  const name = c.qname.endsWith('.') ? c.qname.slice(0, -1) : c.qname;
  return { id: 1, opcode: 0, rd: true, cd: false, ...extra, question: { name, type, class: klass } };
}

/** The case's query as bytes (dns-packet), for tests that talk to a real socket. */
export function caseQueryBytes(c: DnsCase, opts: { id?: number; udpSize?: number; dnssecOk?: boolean } = {}): Buffer {
  const name = c.qname.endsWith('.') ? c.qname.slice(0, -1) : c.qname;
  return dnsPacket.encode({
    type: 'query',
    id: opts.id ?? 1,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: c.qtype.toUpperCase() as dnsPacket.RecordType, class: (c.qclass ?? 'IN') as dnsPacket.RecordClass }],
    additionals:
      opts.udpSize === undefined
        ? []
        : [{ type: 'OPT', name: '.', udpPayloadSize: opts.udpSize, flags: opts.dnssecOk ? dnsPacket.DNSSEC_OK : 0 } as dnsPacket.Answer],
  });
}
