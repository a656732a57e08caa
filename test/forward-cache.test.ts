// The forwarding cache (forward/forward-cache.ts) in front of a real forwarder and stand-in
// upstream, and the reply scanner it and the forwarder read replies with (wire/reply-scan.ts).
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import dnsPacket from 'dns-packet';
import { UpstreamForwarder } from '../src/dns/forward/forward.js';
import { ForwardCache, cacheableTtl } from '../src/dns/forward/forward-cache.js';
import { scanMessage } from '../src/dns/wire/reply-scan.js';
import { parsed, queryBytes } from './helpers/forward-queries.js';
import { startUpstream, type FakeUpstream } from './helpers/upstream.js';

describe('ForwardCache', () => {
  let upstream: FakeUpstream;
  let forwarder: UpstreamForwarder;

  beforeAll(async () => {
    upstream = await startUpstream({
      records: {
        'www.example.org': [
          { name: 'www.example.org', type: 'A', ttl: 120, data: '192.0.2.10' },
          { name: 'www.example.org', type: 'A', ttl: 40, data: '192.0.2.11' },
        ],
      },
      soa: { ttl: 3600, minimum: 300 },
    });
    forwarder = new UpstreamForwarder({ timeoutMs: 1000 });
  });

  afterAll(async () => {
    forwarder.close();
    await upstream.close();
  });

  afterEach(() => {
    upstream.mode = 'answer';
  });

  async function fetchInto(cache: ForwardCache, raw: Buffer): Promise<boolean> {
    const reply = await forwarder.forward(raw, 'udp', [upstream]);
    return cache.set(parsed(raw), reply);
  }

  it('serves a hit with the client ID, the client spelling, and TTLs lowered by the age', async () => {
    let now = 1_000_000;
    const cache = new ForwardCache({ max: 10, now: () => now });
    expect(await fetchInto(cache, queryBytes('www.example.org', 'A', 1))).toBe(true);

    now += 25_500; // 25.5 s later: whole seconds count
    const raw = queryBytes('WWW.Example.ORG', 'A', 999);
    const hit = cache.get(parsed(raw), raw);
    expect(hit).toBeDefined();
    const decoded = dnsPacket.decode(hit!);
    expect(decoded.id).toBe(999);
    expect(decoded.questions?.[0].name).toBe('WWW.Example.ORG');
    expect(decoded.answers?.map((a) => [(a as dnsPacket.StringAnswer).data, (a as dnsPacket.StringAnswer).ttl]).sort()).toEqual([
      ['192.0.2.10', 95],
      ['192.0.2.11', 15],
    ]);
  });

  it('expires an entry after the smallest answer TTL', async () => {
    let now = 0;
    const cache = new ForwardCache({ max: 10, now: () => now });
    const raw = queryBytes('www.example.org');
    await fetchInto(cache, raw);
    now = 39_999;
    expect(cache.get(parsed(raw), raw)).toBeDefined();
    now = 40_000;
    expect(cache.get(parsed(raw), raw)).toBeUndefined();
  });

  it('keeps NXDOMAIN for the SOA minimum, capped by the SOA TTL (RFC 2308 §5)', async () => {
    let now = 0;
    const cache = new ForwardCache({ max: 10, now: () => now });
    const raw = queryBytes('nothere.example.org');
    expect(await fetchInto(cache, raw)).toBe(true);
    now = 299_000;
    const hit = cache.get(parsed(raw), raw);
    expect((dnsPacket.decode(hit!) as unknown as { rcode: string }).rcode).toBe('NXDOMAIN');
    expect((dnsPacket.decode(hit!).authorities?.[0] as dnsPacket.SoaAnswer).ttl).toBe(3600 - 299);
    now = 300_000;
    expect(cache.get(parsed(raw), raw)).toBeUndefined();

    upstream.soa = { ttl: 30, minimum: 300 };
    try {
      now = 0;
      expect(await fetchInto(cache, raw)).toBe(true);
      now = 30_000;
      expect(cache.get(parsed(raw), raw)).toBeUndefined();
    } finally {
      upstream.soa = { ttl: 3600, minimum: 300 };
    }
  });

  it('does not cache SERVFAIL or truncated replies', async () => {
    const cache = new ForwardCache({ max: 10 });
    const raw = queryBytes('www.example.org');
    upstream.mode = 'servfail';
    expect(await fetchInto(cache, raw)).toBe(false);
    upstream.mode = 'truncate';
    expect(await fetchInto(cache, raw)).toBe(false);
    expect(cache.get(parsed(raw), raw)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps EDNS and non-EDNS clients apart, and qtypes apart', async () => {
    const cache = new ForwardCache({ max: 10 });
    await fetchInto(cache, queryBytes('www.example.org', 'A', 1, true));
    const plain = queryBytes('www.example.org', 'A', 2, false);
    expect(cache.get(parsed(plain), plain)).toBeUndefined();
    const aaaa = queryBytes('www.example.org', 'AAAA', 3, true);
    expect(cache.get(parsed(aaaa), aaaa)).toBeUndefined();
    const same = queryBytes('www.example.org', 'A', 4, true);
    expect(cache.get(parsed(same), same)).toBeDefined();
  });

  it('evicts the least recently used entry beyond its size', async () => {
    const cache = new ForwardCache({ max: 1 });
    await fetchInto(cache, queryBytes('www.example.org'));
    await fetchInto(cache, queryBytes('nothere.example.org'));
    const first = queryBytes('www.example.org');
    expect(cache.get(parsed(first), first)).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('computes the cacheable TTL with a cap, and refuses negative answers without an SOA', () => {
    const reply = (answers: dnsPacket.Answer[], rcode = 0) =>
      dnsPacket.encode({ type: 'response', id: 1, flags: rcode, questions: [{ name: 'a.example', type: 'A' }], answers });
    const big = reply([{ name: 'a.example', type: 'A', ttl: 86400, data: '192.0.2.1' }]);
    expect(cacheableTtl(big, scanMessage(big), 3600)).toBe(3600);
    const noSoa = reply([], 3);
    expect(cacheableTtl(noSoa, scanMessage(noSoa))).toBe(0);
    const zero = reply([{ name: 'a.example', type: 'A', ttl: 0, data: '192.0.2.1' }]);
    expect(cacheableTtl(zero, scanMessage(zero))).toBe(0);
    const refused = reply([{ name: 'a.example', type: 'A', ttl: 60, data: '192.0.2.1' }], 5);
    expect(cacheableTtl(refused, scanMessage(refused))).toBe(0);
  });

  it('refuses every negative answer without an SOA, whatever else it carries (RFC 2308 §5)', () => {
    // NODATA whose authority holds only NS records (a referral-shaped reply), and NXDOMAIN at the
    // end of a CNAME chain with no SOA: neither says how long the negative answer may be kept.
    const nodataNs = dnsPacket.encode({
      type: 'response',
      id: 1,
      questions: [{ name: 'a.example', type: 'A' }],
      authorities: [{ name: 'example', type: 'NS', ttl: 3600, data: 'ns.example' }],
    });
    expect(cacheableTtl(nodataNs, scanMessage(nodataNs))).toBe(0);
    const nxCname = dnsPacket.encode({
      type: 'response',
      id: 1,
      flags: 3,
      questions: [{ name: 'a.example', type: 'A' }],
      answers: [{ name: 'a.example', type: 'CNAME', ttl: 600, data: 'gone.example' }],
    });
    expect(cacheableTtl(nxCname, scanMessage(nxCname))).toBe(0);
    // With the SOA they are cached for its MINIMUM, capped by its TTL.
    const soa = { name: 'example', type: 'SOA' as const, ttl: 900, data: { mname: 'ns.example', rname: 'h.example', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 120 } };
    const nxCnameSoa = dnsPacket.encode({ type: 'response', id: 1, flags: 3, questions: [{ name: 'a.example', type: 'A' }], answers: [{ name: 'a.example', type: 'CNAME', ttl: 600, data: 'gone.example' }], authorities: [soa] });
    expect(cacheableTtl(nxCnameSoa, scanMessage(nxCnameSoa))).toBe(120);
  });
});

describe('scanMessage', () => {
  const reply = dnsPacket.encode({
    type: 'response',
    id: 5,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: 'Www.Example.org', type: 'A', class: 'IN' }],
    answers: [{ name: 'Www.Example.org', type: 'A', ttl: 42, data: '192.0.2.1' }],
    authorities: [{ name: 'example.org', type: 'NS', ttl: 7, data: 'ns.example.org' }],
  });

  it('finds the question key, TTL offsets and sections', () => {
    const s = scanMessage(reply);
    expect(s).toMatchObject({ id: 5, qr: true, rd: true, tc: false, rcode: 0, qdcount: 1 });
    expect(s.questionKey).toBe(scanMessage(queryBytes('www.example.ORG')).questionKey);
    expect(s.records.map((r) => [r.section, r.type, r.ttl])).toEqual([
      ['answer', 1, 42],
      ['authority', 2, 7],
    ]);
    expect(reply.readUInt32BE(s.records[0].ttlOffset)).toBe(42);
    expect(s.records[1].end).toBe(reply.length);
  });

  const forwardPointer = Buffer.from(reply);
  forwardPointer[12] = 0xc0;
  forwardPointer[13] = 0x20; // points ahead of itself
  const reserved = Buffer.from(reply);
  reserved[12] = 0x40;
  it.each([
    ['a cut-off record', reply.subarray(0, reply.length - 1)],
    ['a header only, claiming a question', reply.subarray(0, 12)],
    ['a forward compression pointer in the question', forwardPointer],
    ['a reserved label type', reserved],
    ['fewer than 12 bytes', Buffer.from([1, 2, 3])],
  ])('throws on %s', (_what, buf) => {
    expect(() => scanMessage(buf)).toThrow(/malformed DNS message/);
  });
});
