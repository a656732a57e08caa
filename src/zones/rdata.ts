// Per-type RDATA in a zone file -> typed values (the RData the encoder writes). Pure. The
// presentation formats: A (RFC 1035 §3.4.1), AAAA (RFC 3596 §2.4), CNAME/NS/PTR (§3.3), MX
// (§3.3.9), SOA (§3.3.13), TXT (§3.3.14), SRV (RFC 2782), CAA (RFC 8659 §4.1.1). Names in RDATA
// are relative to the origin like owners (§5.1); "that a relative name in record data stays
// unqualified" is the dnsz bug this module is tested against.
import { isIPv4, isIPv6 } from 'node:net';
import { canonicalIP } from '../net/address.js';
import { GENERIC_RDATA, QTYPE, type RData } from '../dns/wire/message.js';
import { unescape, type Token } from './zone-lexer.js';
import { qualify } from './zone-names.js';

/** The types a zone file may hold (issue 15 item 4), by mnemonic. */
export const ZONE_TYPES: ReadonlyMap<string, number> = new Map([
  ['A', QTYPE.A],
  ['AAAA', QTYPE.AAAA],
  ['CNAME', QTYPE.CNAME],
  ['SRV', QTYPE.SRV],
  ['TXT', QTYPE.TXT],
  ['MX', QTYPE.MX],
  ['NS', QTYPE.NS],
  ['SOA', QTYPE.SOA],
  ['PTR', QTYPE.PTR],
  ['CAA', QTYPE.CAA],
]);

export type RdataResult = { data: RData } | { reason: string };

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * A TTL or SOA timer: decimal seconds (RFC 1035), or BIND's units ("1h30m", "2d") that most
 * zone files use. At most 2^31-1 for a TTL (RFC 2181 §8), 2^32-1 for a timer. Undefined: not one.
 */
export function parseTtl(text: string, max = 0x7fffffff): number | undefined {
  let value: number;
  if (/^\d+$/.test(text)) value = Number(text);
  else {
    const m = text.toLowerCase().match(/^(\d+[smhdw])+$/);
    if (m === null) return undefined;
    value = 0;
    for (const [, n, u] of text.toLowerCase().matchAll(/(\d+)([smhdw])/g)) value += Number(n) * UNITS[u];
  }
  return Number.isSafeInteger(value) && value <= max ? value : undefined;
}

function uint(text: string, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const v = Number(text);
  return v <= max ? v : undefined;
}

/** Parses the RDATA tokens of a record of `type` (from ZONE_TYPES), names relative to `origin`. */
export function parseRdata(type: number, tokens: readonly Token[], origin: string): RdataResult {
  if (tokens.length > 0 && !tokens[0].quoted && tokens[0].text === '\\#') return parseGeneric(type, tokens.slice(1));
  const texts = tokens.map((t) => t.text);
  const count = (n: number): string | undefined =>
    tokens.length === n ? undefined : `${typeName(type)} takes ${n} field${n === 1 ? '' : 's'}, found ${tokens.length}`;
  const name = (i: number): { name: string } | { reason: string } => qualify(texts[i], origin);
  switch (type) {
    case QTYPE.A: {
      const bad = count(1);
      if (bad) return { reason: bad };
      if (!isIPv4(texts[0])) return { reason: `"${texts[0]}" is not an IPv4 address` };
      return { data: { type, address: texts[0] } };
    }
    case QTYPE.AAAA: {
      const bad = count(1);
      if (bad) return { reason: bad };
      if (!isIPv6(texts[0])) return { reason: `"${texts[0]}" is not an IPv6 address` };
      return { data: { type, address: canonicalIP(texts[0]) ?? texts[0] } };
    }
    case QTYPE.CNAME:
    case QTYPE.NS:
    case QTYPE.PTR: {
      const bad = count(1);
      if (bad) return { reason: bad };
      const n = name(0);
      return 'reason' in n ? n : { data: { type, target: n.name } };
    }
    case QTYPE.MX: {
      const bad = count(2);
      if (bad) return { reason: bad };
      const preference = uint(texts[0], 0xffff);
      if (preference === undefined) return { reason: `MX preference "${texts[0]}" is not a number from 0 to 65535` };
      const n = name(1);
      return 'reason' in n ? n : { data: { type, preference, exchange: n.name } };
    }
    case QTYPE.SRV: {
      const bad = count(4);
      if (bad) return { reason: bad };
      const fields = texts.slice(0, 3).map((t) => uint(t, 0xffff));
      const at = fields.findIndex((f) => f === undefined);
      if (at >= 0) return { reason: `SRV ${['priority', 'weight', 'port'][at]} "${texts[at]}" is not a number from 0 to 65535` };
      const n = name(3);
      if ('reason' in n) return n;
      return { data: { type, priority: fields[0]!, weight: fields[1]!, port: fields[2]!, target: n.name } };
    }
    case QTYPE.SOA: {
      const bad = count(7);
      if (bad) return { reason: bad };
      const mname = name(0);
      if ('reason' in mname) return mname;
      const rname = name(1);
      if ('reason' in rname) return rname;
      const serial = uint(texts[2], 0xffffffff);
      if (serial === undefined) return { reason: `SOA serial "${texts[2]}" is not a number from 0 to 4294967295` };
      const timers = texts.slice(3).map((t) => parseTtl(t, 0xffffffff));
      const at = timers.findIndex((t) => t === undefined);
      if (at >= 0) return { reason: `SOA ${['refresh', 'retry', 'expire', 'minimum'][at]} "${texts[3 + at]}" is not a time value` };
      const [refresh, retry, expire, minimum] = timers as number[];
      return { data: { type, mname: mname.name, rname: rname.name, serial, refresh, retry, expire, minimum } };
    }
    case QTYPE.TXT: {
      if (tokens.length === 0) return { reason: 'TXT needs at least one character-string' };
      const out: Uint8Array[] = [];
      for (const t of texts) {
        const bytes = unescape(t);
        if (bytes === undefined) return { reason: `"${t}" has a bad \\DDD escape` };
        if (bytes.length > 255) return { reason: `a character-string is over 255 octets (${bytes.length}); split it into several` };
        out.push(bytes);
      }
      return { data: { type, texts: out } };
    }
    case QTYPE.CAA: {
      const bad = count(3);
      if (bad) return { reason: bad };
      const flags = uint(texts[0], 255);
      if (flags === undefined) return { reason: `CAA flags "${texts[0]}" is not a number from 0 to 255` };
      // RFC 8659 §4.1.1: the tag is 1-15 letters and digits.
      if (!/^[A-Za-z0-9]{1,15}$/.test(texts[1])) return { reason: `CAA tag "${texts[1]}" is not 1 to 15 letters and digits` };
      const value = unescape(texts[2]);
      if (value === undefined) return { reason: `"${texts[2]}" has a bad \\DDD escape` };
      return { data: { type, flags, tag: texts[1].toLowerCase(), value } };
    }
    default:
      return { reason: `TYPE${type} needs its data in RFC 3597's generic form: \\# <length> <hex>` };
  }
}

/** Types whose meaning the server uses (the apex, aliases, cuts): written in their own form only. */
const NOT_GENERIC: ReadonlySet<number> = new Set([QTYPE.SOA, QTYPE.CNAME, QTYPE.NS]);

/**
 * RFC 3597 §5: `\# <length> <hex>`, the hex in any number of tokens. The record is kept as the
 * bytes given, for any type a zone may hold; meta and query types (OPT, TSIG, AXFR, ANY: 0, 41,
 * 128-255) are not record types (RFC 6895 §3.1).
 */
function parseGeneric(type: number, tokens: readonly Token[]): RdataResult {
  if (NOT_GENERIC.has(type)) return { reason: `${typeName(type)} must be written in its own form, not RFC 3597's \\#` };
  if (type === 0 || type === QTYPE.OPT || (type >= 128 && type <= 255)) return { reason: `TYPE${type} is a meta or query type, not a record type` };
  if (tokens.length === 0) return { reason: '\\# needs the RDATA length' };
  const length = uint(tokens[0].text, 0xffff);
  if (length === undefined) return { reason: `\\# length "${tokens[0].text}" is not a number from 0 to 65535` };
  const hex = tokens.slice(1).map((t) => t.text).join('');
  if (!/^(?:[0-9A-Fa-f]{2})*$/.test(hex)) return { reason: `"${hex}" is not hexadecimal octets` };
  if (hex.length / 2 !== length) return { reason: `\\# says ${length} octets, the hex has ${hex.length / 2}` };
  return { data: { type: GENERIC_RDATA, rrtype: type, bytes: Buffer.from(hex, 'hex') } };
}

/** The mnemonic of a type we parse (for messages and the docs' tables). */
export function typeName(type: number): string {
  for (const [name, code] of ZONE_TYPES) if (code === type) return name;
  return `TYPE${type}`;
}
