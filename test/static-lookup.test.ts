// The pure parts of serving static zones: lookupStatic (src/dns/answer/static-lookup.ts) over
// a table of questions, acceptZones (which zones may be served beside the Mesos domain), and
// route() with static zones beside the domain, forwarding and reverse zones.
import { describe, expect, it } from '@jest/globals';
import { lookupStatic, MAX_CNAME_CHAIN } from '../src/dns/answer/static-lookup.js';
import { route } from '../src/dns/answer/route.js';
import { QCLASS, QTYPE, type Query } from '../src/dns/wire/message.js';
import { RAW_DEFAULTS } from '../src/config/schema.js';
import { typedValues } from '../src/config/typed.js';
import { parseZone } from '../src/zones/zone-parser.js';
import { checkZone, type ZoneData } from '../src/zones/zone-check.js';
import { acceptZones, staticZones } from '../src/zones/static-zones.js';
import { summaryFromAnswer } from './helpers/dns-case.js';

function zoneOf(origin: string, text: string): ZoneData {
  const file = `/z/${origin}zone`;
  return checkZone(file, parseZone({ file, text, origin, includes: new Map() })).zone;
}

const A = zoneOf(
  'a.test.',
  `$TTL 60
@ SOA ns hm 5 3600 600 86400 30
@ NS ns
ns A 192.0.2.1
www A 192.0.2.2
www TXT "hi"
to-b CNAME x.b.test.
to-nx CNAME nothere.b.test.
${Array.from({ length: MAX_CNAME_CHAIN + 2 }, (_, i) => `c${i} CNAME c${i + 1}`).join('\n')}
c${MAX_CNAME_CHAIN + 2} A 192.0.2.9
`,
);
const C = zoneOf('c.test.', '$TTL 60\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\nsub NS ns.sub\nns.sub A 192.0.2.5\n');
const B = zoneOf('b.test.', '$TTL 60\n@ SOA ns.a.test. hm 9 3600 600 86400 3600\n@ NS ns.a.test.\nx A 192.0.2.3\n');
const ZONES = staticZones([A, B, C]);

const q = (name: string, type: number, klass: number = QCLASS.IN): Query => ({ id: 1, opcode: 0, rd: true, cd: false, question: { name, type, class: klass } });
const ask = (name: string, type: number, opts: { fullAny?: boolean; klass?: number } = {}) => {
  const apex = name.endsWith('b.test') ? 'b.test.' : name.endsWith('c.test') ? 'c.test.' : 'a.test.';
  return summaryFromAnswer(lookupStatic(ZONES, q(name, type, opts.klass), apex, { random: () => 0, recurseOn: true, fullAny: opts.fullAny }));
};

describe('lookupStatic', () => {
  it('keeps the case of the name asked in the answer owner', () => {
    expect(ask('WwW.a.test', QTYPE.A).answer).toEqual(['WwW.a.test. 60 IN A 192.0.2.2']);
  });

  it('ANY over UDP is one RRset (RFC 8482), over TCP all of them', () => {
    expect(ask('www.a.test', QTYPE.ANY).answer).toEqual(['www.a.test. 60 IN A 192.0.2.2']);
    expect(ask('www.a.test', QTYPE.ANY, { fullAny: true }).answer).toEqual(['www.a.test. 60 IN A 192.0.2.2', 'www.a.test. 60 IN TXT "hi"']);
  });

  it('chases a CNAME into another of our zones', () => {
    expect(ask('to-b.a.test', QTYPE.A)).toMatchObject({ rcode: 'NOERROR', aa: true, answer: ['to-b.a.test. 60 IN CNAME x.b.test.', 'x.b.test. 60 IN A 192.0.2.3'] });
  });

  it('a CNAME to a missing name is NXDOMAIN with the CNAME and the target zone’s SOA (RFC 6604)', () => {
    expect(ask('to-nx.a.test', QTYPE.A)).toMatchObject({
      rcode: 'NXDOMAIN',
      answer: ['to-nx.a.test. 60 IN CNAME nothere.b.test.'],
      authority: ['b.test. 60 IN SOA ns.a.test. hm.b.test. 9 3600 600 86400 3600'],
    });
  });

  it(`follows at most ${MAX_CNAME_CHAIN} links`, () => {
    const r = ask('c0.a.test', QTYPE.A);
    expect(r.answer.length).toBe(MAX_CNAME_CHAIN + 1);
    expect(r.answer.every((rr) => rr.includes(' CNAME '))).toBe(true);
  });

  it('negative TTL is min(SOA TTL, MINIMUM)', () => {
    expect(ask('nothere.a.test', QTYPE.A).authority).toEqual(['a.test. 30 IN SOA ns.a.test. hm.a.test. 5 3600 600 86400 30']);
  });

  it('refers names at and below a cut, but answers DS at the cut itself (RFC 4035 §3.1.4.1)', () => {
    expect(ask('x.sub.c.test', QTYPE.A)).toMatchObject({ aa: false, authority: ['sub.c.test. 60 IN NS ns.sub.c.test.'], additional: ['ns.sub.c.test. 60 IN A 192.0.2.5'] });
    expect(ask('sub.c.test', QTYPE.NS)).toMatchObject({ aa: false, answer: [], authority: ['sub.c.test. 60 IN NS ns.sub.c.test.'] });
    expect(ask('sub.c.test', QTYPE.DS)).toMatchObject({ rcode: 'NOERROR', aa: true, answer: [], authority: ['c.test. 60 IN SOA ns.c.test. hm.c.test. 1 3600 600 86400 60'] });
  });

  it('refuses other classes and zone transfers over this path', () => {
    expect(ask('www.a.test', QTYPE.A, { klass: QCLASS.CH }).rcode).toBe('REFUSED');
    expect(ask('a.test', QTYPE.AXFR).rcode).toBe('REFUSED');
  });
});

describe('acceptZones', () => {
  const z = (apex: string, file = `/z/${apex}zone`): ZoneData => ({ apex, file, serial: 1, rrsets: [] });
  it.each<[string, ZoneData[], string[], string[]]>([
    ['a zone beside the domain is served', [z('example.com.')], ['example.com.'], []],
    ['the domain itself is refused', [z('mesos.')], [], ['/z/mesos.zone: zone mesos. is the Mesos domain mesos.']],
    ['a zone inside it is refused', [z('a.mesos.')], [], ['zone a.mesos. is inside the Mesos domain mesos.']],
    ['a zone above it is refused', [z('.', '/z/root.zone')], [], ['zone . contains the Mesos domain mesos.']],
    ['a second file for one apex is refused', [z('example.com.', '/z/1.zone'), z('example.com.', '/z/2.zone')], ['example.com.'], ['/z/2.zone: zone example.com. is already served from /z/1.zone']],
    ['nested zones are both served', [z('example.com.'), z('sub.example.com.')], ['example.com.', 'sub.example.com.'], []],
  ])('%s', (_name, candidates, served, errors) => {
    const { zones, refused } = acceptZones(candidates, 'mesos.');
    expect(zones.map((x) => x.apex)).toEqual(served);
    expect(refused).toHaveLength(errors.length);
    refused.forEach((e, i) => expect(e.message).toContain(errors[i]));
  });
});

describe('route with static zones', () => {
  const routing = typedValues({ ...RAW_DEFAULTS, ZoneResolvers: { 'corp.test': ['10.0.0.1'], 'a.test': ['10.0.0.2'] } }).routing;
  const statics = new Map([['a.test.', 1], ['sub.corp.test.', 1], ['2.0.192.in-addr.arpa.', 1]]);
  const reverse = new Set(['2.0.192.in-addr.arpa.', '1.2.0.192.in-addr.arpa.']);
  it.each<[string, string]>([
    ['www.a.test', 'static a.test.'],
    ['a.test', 'static a.test.'],
    ['x.sub.corp.test', 'static sub.corp.test.'],
    ['x.corp.test', 'forward corp.test'],
    ['leader.mesos', 'authority'],
    ['5.2.0.192.in-addr.arpa', 'static 2.0.192.in-addr.arpa.'],
    ['5.1.2.0.192.in-addr.arpa', 'reverse 1.2.0.192.in-addr.arpa.'],
    ['example.org', 'forward '],
  ])('%s -> %s', (name, want) => {
    const r = route(name, routing, reverse, statics);
    const got = r.kind === 'static' || r.kind === 'reverse' ? `${r.kind} ${r.zone}` : r.kind === 'forward' ? `forward ${r.zone}` : r.kind;
    expect(got).toBe(want);
  });
});
