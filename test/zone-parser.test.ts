// The RFC 1035 §5 zone file parser (src/zones/zone-lexer.ts, zone-parser.ts, rdata.ts,
// zone-check.ts): tables of cases, each a zone text and the records (in presentation form) or
// the error (line and reason) it gives. The dnsz and dns-zonefile bugs issue 15 names are cases
// here: relative names in RDATA, and several $ORIGINs in one file.
import { describe, expect, it } from '@jest/globals';
import { parseZone } from '../src/zones/zone-parser.js';
import { checkZone } from '../src/zones/zone-check.js';
import { ZoneFileError } from '../src/errors.js';
import { rrToString } from './helpers/dns-case.js';
import { canonicalRRsets, staticZones } from '../src/zones/static-zones.js';

const SOA = '@ 3600 IN SOA ns1 hostmaster 2024010101 7200 900 1209600 300\n';

function parse(text: string, includes: Record<string, string> = {}, origin = 'example.com.'): string[] {
  const records = parseZone({ file: '/z/example.com.zone', text, origin, includes: new Map(Object.entries(includes)) });
  return records.map((r) => rrToString({ name: r.owner, ttl: r.ttl, data: r.data }));
}

function failure(text: string, includes: Record<string, string> = {}): string {
  try {
    parse(text, includes);
  } catch (err) {
    if (err instanceof ZoneFileError) return `${err.line}: ${err.reason}`;
    throw err;
  }
  return 'no error';
}

describe('zone file records', () => {
  it.each<[string, string, string[]]>([
    ['an absolute owner and every field', 'www.example.com. 60 IN A 192.0.2.1', ['www.example.com. 60 IN A 192.0.2.1']],
    ['@ is the origin', '@ 60 IN A 192.0.2.1', ['example.com. 60 IN A 192.0.2.1']],
    ['a relative owner', 'www 60 IN A 192.0.2.1', ['www.example.com. 60 IN A 192.0.2.1']],
    ['class before TTL', 'www IN 60 A 192.0.2.1', ['www.example.com. 60 IN A 192.0.2.1']],
    ['no class', 'www 60 A 192.0.2.1', ['www.example.com. 60 IN A 192.0.2.1']],
    ['TTL units', 'www 1h30m A 192.0.2.1', ['www.example.com. 5400 IN A 192.0.2.1']],
    ['lower-case type and class', 'www 60 in a 192.0.2.1', ['www.example.com. 60 IN A 192.0.2.1']],
    ['owner case folded', 'WWW.Example.COM. 60 A 192.0.2.1', ['www.example.com. 60 IN A 192.0.2.1']],
    ['blank owner is the previous owner', 'www 60 A 192.0.2.1\n     60 A 192.0.2.2', ['www.example.com. 60 IN A 192.0.2.1', 'www.example.com. 60 IN A 192.0.2.2']],
    ['a tab as blank owner', 'www 60 A 192.0.2.1\n\t60 AAAA 2001:DB8::0:1', ['www.example.com. 60 IN A 192.0.2.1', 'www.example.com. 60 IN AAAA 2001:db8::1']],
    ['comments and blank lines', '; a comment\n\nwww 60 A 192.0.2.1 ; trailing\n   ; only a comment', ['www.example.com. 60 IN A 192.0.2.1']],
    ['$TTL gives the TTL (RFC 2308 §4)', '$TTL 120\nwww A 192.0.2.1', ['www.example.com. 120 IN A 192.0.2.1']],
    ['$TTL wins over an earlier explicit TTL', '$TTL 120\na 60 A 192.0.2.1\nb A 192.0.2.2', ['a.example.com. 60 IN A 192.0.2.1', 'b.example.com. 120 IN A 192.0.2.2']],
    ['without $TTL the last TTL given (RFC 1035 §5.1)', 'a 60 A 192.0.2.1\nb A 192.0.2.2', ['a.example.com. 60 IN A 192.0.2.1', 'b.example.com. 60 IN A 192.0.2.2']],
    ['without any TTL the SOA MINIMUM', '@ IN SOA ns1 hostmaster 1 2 3 4 300\nb A 192.0.2.2', ['example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 1 2 3 4 300', 'b.example.com. 300 IN A 192.0.2.2']],
    ['$ORIGIN changes relative names after it, each until the next (dns-zonefile keeps only the last)', '$ORIGIN a.example.com.\nx 60 A 192.0.2.1\n$ORIGIN b.example.com.\nx 60 A 192.0.2.2\n$ORIGIN c\nx 60 A 192.0.2.3', ['x.a.example.com. 60 IN A 192.0.2.1', 'x.b.example.com. 60 IN A 192.0.2.2', 'x.c.b.example.com. 60 IN A 192.0.2.3']],
    ['relative names in RDATA (dnsz leaves them unqualified)', 'www 60 CNAME web\n@ 60 MX 10 mail\n@ 60 NS ns1\n_s._tcp 60 SRV 1 2 80 web\n1 60 PTR host', ['www.example.com. 60 IN CNAME web.example.com.', 'example.com. 60 IN MX 10 mail.example.com.', 'example.com. 60 IN NS ns1.example.com.', '_s._tcp.example.com. 60 IN SRV 1 2 80 web.example.com.', '1.example.com. 60 IN PTR host.example.com.']],
    ['relative RDATA after $ORIGIN', '$ORIGIN sub.example.com.\nwww 60 CNAME web', ['www.sub.example.com. 60 IN CNAME web.sub.example.com.']],
    ['@ and absolute names in RDATA', 'www 60 CNAME @\nftp 60 CNAME other.org.', ['www.example.com. 60 IN CNAME example.com.', 'ftp.example.com. 60 IN CNAME other.org.']],
    ['SOA over lines in parentheses', '@ 3600 IN SOA ns1 hostmaster (\n  2024010101 ; serial\n  2h ; refresh\n  15m 2w\n  300 )', ['example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 900 1209600 300']],
    ['TXT: quoted strings with spaces, semicolons and escapes', '@ 60 TXT "v=spf1 -all" "a;b" "say \\"hi\\"" plain', ['example.com. 60 IN TXT "v=spf1 -all" "a;b" "say \\"hi\\"" "plain"']],
    ['TXT: \\DDD escapes are octets', '@ 60 TXT "a\\065\\255"', [`example.com. 60 IN TXT ${JSON.stringify('aA\u00ff')}`]],
    ['CAA', '@ 60 CAA 0 issue "letsencrypt.org"\n@ 60 CAA 128 iodef "mailto:ops@example.com"', ['example.com. 60 IN CAA 0 issue "letsencrypt.org"', 'example.com. 60 IN CAA 128 iodef "mailto:ops@example.com"']],
    ['escaped dot inside a label', 'a\\.b 60 A 192.0.2.1', ['a\\046b.example.com. 60 IN A 192.0.2.1']],
    ['\\DDD in a name is folded like a letter', '\\087ww 60 A 192.0.2.1', ['www.example.com. 60 IN A 192.0.2.1']],
    ['wildcard owner', '* 60 A 192.0.2.1', ['*.example.com. 60 IN A 192.0.2.1']],
    ['RFC 3597: an unknown type in the generic form, hex over several tokens', 'x 60 TYPE65280 \\# 4 0a00 0001', ['x.example.com. 60 IN TYPE65280 \\# 4 0A000001']],
    ['RFC 3597: empty generic RDATA', 'x 60 TYPE65280 \\# 0', ['x.example.com. 60 IN TYPE65280 \\# 0']],
    ['RFC 3597: a known type by number in its own form', 'x 60 TYPE1 192.0.2.1', ['x.example.com. 60 IN A 192.0.2.1']],
    ['RFC 3597: a known type in the generic form stays generic', 'x 60 A \\# 4 C0000201', ['x.example.com. 60 IN TYPE1 \\# 4 C0000201']],
  ])('%s', (_name, text, want) => {
    expect(parse(text)).toEqual(want);
  });

  it('$INCLUDE reads the file with the current origin; its $ORIGIN does not come back', () => {
    const text = 'a 60 A 192.0.2.1\n$INCLUDE part.db\nb 60 A 192.0.2.2';
    expect(parse(text, { '/z/part.db': '$ORIGIN other.example.com.\nc 60 A 192.0.2.3\n' })).toEqual([
      'a.example.com. 60 IN A 192.0.2.1',
      'c.other.example.com. 60 IN A 192.0.2.3',
      'b.example.com. 60 IN A 192.0.2.2',
    ]);
  });

  it('$INCLUDE with an origin argument, relative to the current origin, and nested includes', () => {
    const text = '$INCLUDE sub/hosts.db lab\n';
    expect(parse(text, { '/z/sub/hosts.db': 'h 60 A 192.0.2.4\n$INCLUDE more.db\n', '/z/sub/more.db': 'm 60 A 192.0.2.5' })).toEqual([
      'h.lab.example.com. 60 IN A 192.0.2.4',
      'm.lab.example.com. 60 IN A 192.0.2.5',
    ]);
  });
});

describe('zone file errors name the line and the reason', () => {
  it.each<[string, string, Record<string, string>, string]>([
    ['an unknown type', 'www 60 A 192.0.2.1\nwww 60 HINFO a b', {}, '2: type "HINFO" is not served from zone files'],
    ['a bad address', '\n\nwww 60 A 192.0.2.300', {}, '3: "192.0.2.300" is not an IPv4 address'],
    ['a bad AAAA', 'www 60 AAAA 1.2.3.4', {}, '1: "1.2.3.4" is not an IPv6 address'],
    ['a missing field', 'www 60 MX mail', {}, '1: MX takes 2 fields, found 1'],
    ['SRV port out of range', '_s._tcp 60 SRV 1 1 70000 web', {}, '1: SRV port "70000" is not a number'],
    ['an unclosed parenthesis, at the line it opened', 'a 60 A 192.0.2.1\n@ SOA ns1 h (\n 1 2 3 4 5\n', {}, '2: "(" opened on line 2 is never closed'],
    ['a stray ")"', 'a 60 A 192.0.2.1 )', {}, '1: ")" without a matching "("'],
    ['an unterminated string', '@ 60 TXT "abc\n', {}, '1: unterminated quoted string'],
    ['a blank owner first', '  60 A 192.0.2.1', {}, '1: the record has no owner'],
    ['class CH', 'www 60 CH A 192.0.2.1', {}, '1: class CH: only class IN is served'],
    ['no TTL anywhere and no SOA', 'www A 192.0.2.1', {}, '1: the record has no TTL'],
    ['an unsupported directive', '$GENERATE 1-4 h$ A 192.0.2.$', {}, '1: unsupported directive $GENERATE'],
    ['a bad $TTL', '$TTL forever', {}, '1: $TTL "forever" is not a TTL'],
    ['a TTL over 2^31-1', 'www 2147483648 A 192.0.2.1', {}, '1: "2147483648" is not a TTL'],
    ['an empty label', 'a..b 60 A 192.0.2.1', {}, '1: "a..b" is not a valid domain name'],
    ['a label over 63 octets', `${'x'.repeat(64)} 60 A 192.0.2.1`, {}, '1: '],
    ['a TXT string over 255 octets', `@ 60 TXT ${'x'.repeat(256)}`, {}, '1: a character-string is over 255 octets'],
    ['a CAA tag with a dash', '@ 60 CAA 0 is-sue "x"', {}, '1: CAA tag "is-sue"'],
    ['a missing include', 'a 60 A 192.0.2.1\n$INCLUDE nothere.db', {}, '2: $INCLUDE: cannot read "nothere.db"'],
    ['RFC 3597: length and hex disagree', 'x 60 TYPE65280 \\# 3 0a000001', {}, '1: \\# says 3 octets, the hex has 4'],
    ['RFC 3597: not hex', 'x 60 TYPE65280 \\# 1 zz', {}, '1: "zz" is not hexadecimal octets'],
    ['RFC 3597: an unknown type without the generic form', 'x 60 TYPE65280 abc', {}, "1: TYPE65280 needs its data in RFC 3597's generic form"],
    ['RFC 3597: a meta type', 'x 60 TYPE251 \\# 0', {}, '1: TYPE251 is a meta or query type'],
    ['RFC 3597: SOA only in its own form', '@ 60 SOA \\# 0', {}, "1: SOA must be written in its own form"],
    ['an include loop', '$INCLUDE a.db', { '/z/a.db': '$INCLUDE b.db', '/z/b.db': '$INCLUDE a.db' }, '1: $INCLUDE of "a.db" makes a loop'],
  ])('%s', (_name, text, includes, want) => {
    expect(failure(text, includes)).toContain(want);
  });

  it('an error inside an included file names that file and its line', () => {
    try {
      parse('$INCLUDE part.db', { '/z/part.db': 'a 60 A 192.0.2.1\nb 60 A nope' });
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(ZoneFileError);
      expect((err as ZoneFileError).message).toBe('/z/part.db:2: "nope" is not an IPv4 address');
    }
  });
});

describe('zone checks (zone-check.ts)', () => {
  const check = (text: string) => checkZone('/z/example.com.zone', parseZone({ file: '/z/example.com.zone', text, origin: 'example.com.', includes: new Map() }));
  const checkError = (text: string): string => {
    try {
      check(text);
    } catch (err) {
      return `${(err as ZoneFileError).line}: ${(err as ZoneFileError).reason}`;
    }
    return 'no error';
  };

  it.each<[string, string, string]>([
    ['no SOA', 'www 60 A 192.0.2.1', '0: no SOA record'],
    ['two SOAs', SOA + SOA, '2: a second SOA record (the first is on line 1)'],
    ['out-of-zone data', SOA + 'www.example.org. 60 A 192.0.2.1', '2: www.example.org. is outside the zone example.com.'],
    ['CNAME and other data (RFC 1034 §3.6.2)', SOA + 'www 60 A 192.0.2.1\nwww 60 CNAME web', '3: www.example.com. has a CNAME and other data (A, line 2)'],
    ['two CNAMEs', SOA + 'www 60 CNAME a\nwww 60 CNAME b', '3: a second CNAME for www.example.com.'],
    ['a CNAME at the apex', SOA + '@ 60 CNAME other.org.', '2: example.com. has a CNAME and other data (SOA'],
  ])('%s', (_name, text, want) => {
    expect(checkError(text)).toContain(want);
  });

  it('merges repeated records, keeps one TTL per RRset and warns about the rest', () => {
    const { zone, warnings } = check(SOA + '@ 60 NS ns1\nwww 60 A 192.0.2.1\nwww 60 A 192.0.2.1\nwww 30 A 192.0.2.2');
    const www = zone.rrsets.find((s) => s.owner === 'www.example.com.');
    expect(www).toMatchObject({ ttl: 60, rdata: [{ address: '192.0.2.1' }, { address: '192.0.2.2' }] });
    expect(warnings.join('\n')).toContain(':5: TTL 30 differs');
    expect(zone.serial).toBe(2024010101);
    expect(zone.apex).toBe('example.com.');
  });

  it('warns when the apex has no NS', () => {
    expect(check(SOA).warnings.join('\n')).toContain('has no NS records at its apex');
  });

  it('lists RRsets in RFC 4034 §6 canonical order for zone transfers', () => {
    const { zone } = check(SOA + '@ 60 NS ns1\nz 60 A 192.0.2.1\nZ.a 60 A 192.0.2.1\na 60 TXT b\na 60 A 192.0.2.9\na 60 A 192.0.2.3\n*.a 60 A 192.0.2.4\n\\001 60 A 192.0.2.5');
    const z = staticZones([zone]).zones.get('example.com.')!;
    const order = canonicalRRsets(z).map((s) => `${s.owner} ${s.type} ${s.rdata.map((d) => ('address' in d ? d.address : '')).join(',')}`.trim());
    expect(order).toEqual([
      'example.com. 2',
      'example.com. 6',
      '\\001.example.com. 1 192.0.2.5',
      'a.example.com. 1 192.0.2.3,192.0.2.9',
      'a.example.com. 16',
      '*.a.example.com. 1 192.0.2.4',
      'z.a.example.com. 1 192.0.2.1',
      'z.example.com. 1 192.0.2.1',
    ]);
  });
});
