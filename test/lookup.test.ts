import { describe, expect, it } from '@jest/globals';
import { lookup, type LookupOptions } from '../src/dns/answer/lookup.js';
import { RotationCounters } from '../src/dns/answer/answer-order.js';
import { QTYPE } from '../src/dns/wire/message.js';
import { buildTestTable } from './helpers/table.js';
import { seededRandom } from './helpers/seeded-random.js';
import { caseQuery, checkReply, summaryFromAnswer, type DnsCase } from './helpers/dns-case.js';

const table = buildTestTable([
  'leader.mesos. A 10.0.0.1',
  'ns1.mesos. A 10.0.0.53',
  'ns1.mesos. AAAA fd00::53',
  'nginx.marathon.mesos. A 10.3.0.3',
  'web.marathon.mesos. A 10.0.1.1',
  'web.marathon.mesos. A 10.0.1.2',
  'web.marathon.mesos. A 10.0.1.3',
  'toy-store.ipv6-framework.mesos. A 12.0.1.3',
  'toy-store.ipv6-framework.mesos. AAAA fd01:b::1:8000:2',
  '_web._tcp.marathon.mesos. SRV 0 1 31000 web-aaaaa-0.marathon.slave.mesos.',
  '_web._tcp.marathon.mesos. SRV 0 1 31001 web-bbbbb-1.marathon.slave.mesos.',
  '_web._tcp.marathon.mesos. SRV 0 1 31002 web-bbbbb-1.marathon.slave.mesos.',
  'web-aaaaa-0.marathon.slave.mesos. A 1.2.3.11',
  'web-aaaaa-0.marathon.slave.mesos. AAAA 2001:db8::11',
  'web-bbbbb-1.marathon.slave.mesos. A 1.2.3.12',
  '_lost._tcp.marathon.mesos. SRV 0 1 80 gone.marathon.mesos.',
  // legacy unsanitised DiscoveryInfo forms (mesos-dns §5.3)
  'liquor.store.marathon.mesos. A 10.9.9.9',
  'Svc.One.my.mesos. A 10.8.8.8',
]);

const opts: LookupOptions = { random: seededRandom(42), recurseOn: true };

const SOA = 'mesos. 60 IN SOA ns1.mesos. root.ns1.mesos. 1 60 600 86400 60';

const cases: DnsCase[] = [
  // positive answers
  { qname: 'leader.mesos.', qtype: 'A', rcode: 'NOERROR', aa: true, answer: ['leader.mesos. 60 IN A 10.0.0.1'] },
  {
    qname: 'web.marathon.mesos.',
    qtype: 'A',
    rcode: 'NOERROR',
    answer: ['web.marathon.mesos. 60 IN A 10.0.1.1', 'web.marathon.mesos. 60 IN A 10.0.1.2', 'web.marathon.mesos. 60 IN A 10.0.1.3'],
  },
  {
    qname: 'toy-store.ipv6-framework.mesos.',
    qtype: 'AAAA',
    rcode: 'NOERROR',
    answer: ['toy-store.ipv6-framework.mesos. 60 IN AAAA fd01:b::1:8000:2'],
  },
  {
    qname: '_web._tcp.marathon.mesos.',
    qtype: 'SRV',
    rcode: 'NOERROR',
    aa: true,
    answer: [
      '_web._tcp.marathon.mesos. 60 IN SRV 0 1 31000 web-aaaaa-0.marathon.slave.mesos.',
      '_web._tcp.marathon.mesos. 60 IN SRV 0 1 31001 web-bbbbb-1.marathon.slave.mesos.',
      '_web._tcp.marathon.mesos. 60 IN SRV 0 1 31002 web-bbbbb-1.marathon.slave.mesos.',
    ],
    // one A per distinct target (web-bbbbb-1 is not repeated), AAAA for the one that has it
    additional: [
      'web-aaaaa-0.marathon.slave.mesos. 60 IN A 1.2.3.11',
      'web-bbbbb-1.marathon.slave.mesos. 60 IN A 1.2.3.12',
      'web-aaaaa-0.marathon.slave.mesos. 60 IN AAAA 2001:db8::11',
    ],
  },
  // SRV whose target is not in the table: the SRV, but no glue
  { qname: '_lost._tcp.marathon.mesos.', qtype: 'SRV', rcode: 'NOERROR', answer: ['_lost._tcp.marathon.mesos. 60 IN SRV 0 1 80 gone.marathon.mesos.'] },
  // empty non-terminals exist: NODATA, whatever the type (RFC 8020)
  { qname: '_tcp.marathon.mesos.', qtype: 'SRV', rcode: 'NOERROR', aa: true, authority: [SOA] },
  { qname: '_tcp.marathon.mesos.', qtype: 'A', rcode: 'NOERROR', authority: [SOA] },
  { qname: 'marathon.slave.mesos.', qtype: 'A', rcode: 'NOERROR', authority: [SOA] },
  { qname: '_tcp.marathon.mesos.', qtype: 'ANY', rcode: 'NOERROR', authority: [SOA] },
  // the apex
  { qname: 'mesos.', qtype: 'SOA', rcode: 'NOERROR', aa: true, answer: [SOA] },
  {
    qname: 'mesos.',
    qtype: 'NS',
    rcode: 'NOERROR',
    answer: ['mesos. 60 IN NS ns1.mesos.'],
    additional: ['ns1.mesos. 60 IN A 10.0.0.53', 'ns1.mesos. 60 IN AAAA fd00::53'],
  },
  { qname: 'mesos.', qtype: 'A', rcode: 'NOERROR', authority: [SOA] },
  { qname: 'mesos.', qtype: 'DS', rcode: 'NOERROR', authority: [SOA] },
  // ANY (over UDP, the default): the apex holds no A, AAAA or SRV, so the synthesized HINFO (RFC 8482 §4.2)
  { qname: 'mesos.', qtype: 'ANY', rcode: 'NOERROR', aa: true, answer: ['mesos. 60 IN HINFO "RFC8482" ""'] },
  // SOA and NS below the apex: the name has no such RRset
  { qname: 'leader.mesos.', qtype: 'SOA', rcode: 'NOERROR', authority: [SOA] },
  { qname: 'leader.mesos.', qtype: 'NS', rcode: 'NOERROR', authority: [SOA] },
  // NXDOMAIN
  { qname: 'missing.mesos.', qtype: 'A', rcode: 'NXDOMAIN', aa: true, authority: [SOA] },
  { qname: '_missing._tcp.marathon.mesos.', qtype: 'SRV', rcode: 'NXDOMAIN', authority: [SOA] },
  { qname: 'missing.mesos.', qtype: 'ANY', rcode: 'NXDOMAIN', authority: [SOA] },
  { qname: 'deep.leader.mesos.', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
  // types we never hold
  { qname: 'leader.mesos.', qtype: 'TXT', rcode: 'NOERROR', authority: [SOA] },
  { qname: 'leader.mesos.', qtype: 'MX', rcode: 'NOERROR', authority: [SOA] },
  { qname: 'leader.mesos.', qtype: 'CNAME', rcode: 'NOERROR', authority: [SOA] },
  { qname: 'leader.mesos.', qtype: 'PTR', rcode: 'NOERROR', authority: [SOA] },
  { qname: 'leader.mesos.', qtype: 'AAAA', rcode: 'NOERROR', authority: [SOA] },
  // ANY (over UDP, the default) returns one RRset: the first of A, AAAA, SRV (RFC 8482 §4.1)
  { qname: 'toy-store.ipv6-framework.mesos.', qtype: 'ANY', rcode: 'NOERROR', aa: true, answer: ['toy-store.ipv6-framework.mesos. 60 IN A 12.0.1.3'] },
  {
    qname: '_lost._tcp.marathon.mesos.',
    qtype: 'ANY',
    rcode: 'NOERROR',
    answer: ['_lost._tcp.marathon.mesos. 60 IN SRV 0 1 80 gone.marathon.mesos.'],
  },
  // classes: ANY is served, everything else refused (CoreDNS; mesos-dns ignores the class)
  { qname: 'leader.mesos.', qtype: 'A', qclass: 'ANY', rcode: 'NOERROR', answer: ['leader.mesos. 60 IN A 10.0.0.1'] },
  { qname: 'leader.mesos.', qtype: 'A', qclass: 'CH', rcode: 'REFUSED', aa: false },
  { qname: 'leader.mesos.', qtype: 'A', qclass: 'HS', rcode: 'REFUSED', aa: false },
  // transfers are HTTP-only (/v1/axfr)
  { qname: 'mesos.', qtype: 'AXFR', rcode: 'REFUSED', aa: false },
  { qname: 'mesos.', qtype: 'IXFR', rcode: 'REFUSED', aa: false },
  // case-insensitive match, owner as sent (0x20 randomisation survives)
  { qname: 'LeAdEr.MeSoS.', qtype: 'A', rcode: 'NOERROR', answer: ['LeAdEr.MeSoS. 60 IN A 10.0.0.1'] },
  { qname: 'MESOS.', qtype: 'NS', rcode: 'NOERROR', answer: ['MESOS. 60 IN NS ns1.mesos.'], additional: ['ns1.mesos. 60 IN A 10.0.0.53', 'ns1.mesos. 60 IN AAAA fd00::53'] },
  // a dotted legacy name resolves as several labels ...
  { qname: 'liquor.store.marathon.mesos.', qtype: 'A', rcode: 'NOERROR', answer: ['liquor.store.marathon.mesos. 60 IN A 10.9.9.9'] },
  // ... but one label containing a dot byte (escaped by the parser) never matches it
  { qname: 'liquor\\046store.marathon.mesos.', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
  // names stored with upper case can never match a lower-cased query (as in mesos-dns)
  { qname: 'svc.one.my.mesos.', qtype: 'A', rcode: 'NXDOMAIN', authority: [SOA] },
];

// ANY with fullAny (over TCP): every RRset of the name.
const fullAnyCases: DnsCase[] = [
  {
    qname: 'mesos.',
    qtype: 'ANY',
    rcode: 'NOERROR',
    answer: [SOA, 'mesos. 60 IN NS ns1.mesos.'],
    additional: ['ns1.mesos. 60 IN A 10.0.0.53', 'ns1.mesos. 60 IN AAAA fd00::53'],
  },
  {
    qname: 'toy-store.ipv6-framework.mesos.',
    qtype: 'ANY',
    rcode: 'NOERROR',
    answer: ['toy-store.ipv6-framework.mesos. 60 IN A 12.0.1.3', 'toy-store.ipv6-framework.mesos. 60 IN AAAA fd01:b::1:8000:2'],
  },
  { qname: '_tcp.marathon.mesos.', qtype: 'ANY', rcode: 'NOERROR', authority: [SOA] },
  { qname: 'missing.mesos.', qtype: 'ANY', rcode: 'NXDOMAIN', authority: [SOA] },
];

describe('lookup', () => {
  it.each(cases.map((c) => [`${c.qname} ${c.qclass ?? 'IN'} ${c.qtype} -> ${c.rcode}`, c] as const))('%s', (_label, c) => {
    checkReply(c, summaryFromAnswer(lookup(table, caseQuery(c), opts)));
  });

  it.each(fullAnyCases.map((c) => [`${c.qname} ${c.qtype} -> ${c.rcode}`, c] as const))('fullAny: %s', (_label, c) => {
    checkReply(c, summaryFromAnswer(lookup(table, caseQuery(c), { ...opts, fullAny: true })));
  });

  it('answers SERVFAIL, not authoritative, before any state is loaded', () => {
    const a = lookup(undefined, caseQuery({ qname: 'leader.mesos.', qtype: 'A', rcode: 'SERVFAIL' }), opts);
    expect(a).toEqual({ kind: 'servfail', aa: false, ra: true, answer: [], authority: [], additional: [] });
  });

  it('tells NODATA from NXDOMAIN by kind, both with NOERROR/NXDOMAIN semantics', () => {
    expect(lookup(table, caseQuery({ qname: '_tcp.marathon.mesos', qtype: 'A', rcode: 'NOERROR' }), opts).kind).toBe('nodata');
    expect(lookup(table, caseQuery({ qname: 'nope.mesos', qtype: 'A', rcode: 'NXDOMAIN' }), opts).kind).toBe('nxdomain');
    expect(lookup(table, caseQuery({ qname: 'leader.mesos', qtype: 'A', rcode: 'NOERROR' }), opts).kind).toBe('success');
  });

  it('sets RA from recurseOn', () => {
    const q = caseQuery({ qname: 'leader.mesos', qtype: 'A', rcode: 'NOERROR' });
    expect(lookup(table, q, { ...opts, recurseOn: true }).ra).toBe(true);
    expect(lookup(table, q, { ...opts, recurseOn: false }).ra).toBe(false);
    expect(lookup(undefined, q, { ...opts, recurseOn: false }).ra).toBe(false);
  });

  it('gives every RR the table TTL and the negative SOA min(ttl, MINIMUM) (RFC 2308 §3)', () => {
    const short = buildTestTable(['a.mesos. A 10.0.0.1', '_s._tcp.mesos. SRV 0 1 1 a.mesos.'], { ttl: 30, soa: { minimum: 10 } });
    const pos = lookup(short, caseQuery({ qname: '_s._tcp.mesos', qtype: 'SRV', rcode: 'NOERROR' }), opts);
    expect([...pos.answer, ...pos.additional].map((rr) => rr.ttl)).toEqual([30, 30]);
    const soaAnswer = lookup(short, caseQuery({ qname: 'mesos', qtype: 'SOA', rcode: 'NOERROR' }), opts);
    expect(soaAnswer.answer[0].ttl).toBe(30);
    expect(lookup(short, caseQuery({ qname: 'b.mesos', qtype: 'A', rcode: 'NXDOMAIN' }), opts).authority[0].ttl).toBe(10);
    const long = buildTestTable(['a.mesos. A 10.0.0.1'], { ttl: 30, soa: { minimum: 300 } });
    expect(lookup(long, caseQuery({ qname: 'a.mesos', qtype: 'TXT', rcode: 'NOERROR' }), opts).authority[0].ttl).toBe(30);
  });

  it('puts all A glue before any AAAA glue, targets in answer order', () => {
    const a = lookup(table, caseQuery({ qname: '_web._tcp.marathon.mesos', qtype: 'SRV', rcode: 'NOERROR' }), opts);
    const types = a.additional.map((rr) => rr.data.type);
    expect(types).toEqual([QTYPE.A, QTYPE.A, QTYPE.AAAA]);
    const targetOrder = [...new Set(a.answer.map((rr) => (rr.data as { target: string }).target))];
    expect(a.additional.filter((rr) => rr.data.type === QTYPE.A).map((rr) => rr.name)).toEqual(targetOrder);
  });

  describe('shuffling', () => {
    const many = buildTestTable(Array.from({ length: 8 }, (_, i) => `app.mesos. A 10.0.0.${i + 1}`));
    const q = caseQuery({ qname: 'app.mesos', qtype: 'A', rcode: 'NOERROR' });
    const order = (seed: number): string[] =>
      lookup(many, q, { random: seededRandom(seed), recurseOn: true }).answer.map((rr) => (rr.data as { address: string }).address);

    it('is deterministic for a given random source', () => {
      expect(order(7)).toEqual(order(7));
    });

    it('permutes the whole set, and different draws give different orders', () => {
      const all = Array.from({ length: 8 }, (_, i) => `10.0.0.${i + 1}`);
      const seen = new Set<string>();
      for (let seed = 1; seed <= 20; seed++) {
        const o = order(seed);
        expect([...o].sort()).toEqual([...all].sort());
        seen.add(o.join(','));
      }
      expect(seen.size).toBeGreaterThan(10);
      // every address reaches the first position for some draw (clients spread over tasks)
      const firsts = new Set<string>();
      for (let seed = 1; seed <= 200; seed++) firsts.add(order(seed)[0]);
      expect(firsts.size).toBe(8);
    });

    it('stays a permutation when random() breaks its contract', () => {
      for (const bad of [() => 1, () => -0.5, () => Number.NaN]) {
        const o = lookup(many, q, { random: bad, recurseOn: true }).answer.map((rr) => (rr.data as { address: string }).address);
        expect(new Set(o).size).toBe(8);
      }
    });
  });

  describe('round-robin (AnswerOrder "round-robin")', () => {
    const many = buildTestTable([
      ...Array.from({ length: 3 }, (_, i) => `app.mesos. A 10.0.0.${i + 1}`),
      ...Array.from({ length: 3 }, (_, i) => `_app._tcp.mesos. SRV 0 1 ${8000 + i} t${i}.mesos.`),
      ...Array.from({ length: 3 }, (_, i) => `t${i}.mesos. A 10.1.0.${i}`),
    ]);
    const noDraws = (): number => {
      throw new Error('round-robin drew a random number');
    };

    it('rotates the table order by what RotationCounters hands out, one step per reply per name and type', () => {
      const counters = new RotationCounters();
      const rotation = (type: number, n: number) => counters.next('app.mesos', type, n);
      const q = caseQuery({ qname: 'app.mesos', qtype: 'A', rcode: 'NOERROR' });
      const firsts = Array.from({ length: 6 }, () => lookup(many, q, { random: noDraws, rotation, recurseOn: true }).answer.map((rr) => (rr.data as { address: string }).address));
      expect(firsts).toEqual([
        ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
        ['10.0.0.2', '10.0.0.3', '10.0.0.1'],
        ['10.0.0.3', '10.0.0.1', '10.0.0.2'],
        ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
        ['10.0.0.2', '10.0.0.3', '10.0.0.1'],
        ['10.0.0.3', '10.0.0.1', '10.0.0.2'],
      ]);
      // Another name, or another type of the same name, has its own position.
      expect(counters.next('other.mesos', QTYPE.A, 3)).toBe(0);
      expect(counters.next('app.mesos', QTYPE.AAAA, 3)).toBe(0);
      expect(counters.next('app.mesos', QTYPE.A, 2)).toBe(0); // the set shrank: still in range
    });

    it('SRV glue follows the rotated answers', () => {
      const counters = new RotationCounters();
      const q = caseQuery({ qname: '_app._tcp.mesos', qtype: 'SRV', rcode: 'NOERROR' });
      for (let i = 0; i < 3; i++) {
        const a = lookup(many, q, { random: noDraws, rotation: (type, n) => counters.next('_app._tcp.mesos', type, n), recurseOn: true });
        const targets = a.answer.map((rr) => (rr.data as { target: string }).target);
        expect(targets[0]).toBe(`t${i}.mesos.`);
        expect(a.additional.map((rr) => rr.name)).toEqual(targets);
      }
    });
  });
});
