// The response rate limiter's decisions (pure: no sockets, no clock), the response kinds and
// name hashes it keys on, and the peer address words it reads.
import { describe, expect, it } from '@jest/globals';
import dnsPacket from 'dns-packet';
import { RateLimiter, VERDICT, type RateLimitSettings, type Verdict } from '../src/dns/rrl/rate-limiter.js';
import { RESPONSE_KIND, responseKind, responseNameHash } from '../src/dns/rrl/response-kind.js';
import { peerText, peerWords } from '../src/net/peer.js';

const A = VERDICT.ALLOW;
const D = VERDICT.DROP;
const S = VERDICT.SLIP;

const settings = (over: Partial<RateLimitSettings> = {}): RateLimitSettings => ({
  rate: 5, slip: 2, windowSeconds: 1, ipv4Prefix: 24, ipv6Prefix: 56, tableSize: 1024, ...over,
});

const v4 = (text: string): Uint32Array => {
  const w = new Uint32Array(4);
  expect(peerWords(text, w)).toBe(4);
  return w;
};
const v6 = (text: string): Uint32Array => {
  const w = new Uint32Array(4);
  expect(peerWords(text, w)).toBe(6);
  return w;
};

/** n decisions for one key at time `t`. */
function run(l: RateLimiter, n: number, t: number, ip = v4('192.0.2.1'), kind: 0 | 1 | 2 | 3 = RESPONSE_KIND.ANSWER, name = 7): Verdict[] {
  return Array.from({ length: n }, () => l.decide(4, ip, kind, name, t));
}

describe('RateLimiter', () => {
  it.each<[string, Partial<RateLimitSettings>, number, Verdict[]]>([
    ['rate 5, slip 2: five answers, then every second limited one slipped', {}, 10, [A, A, A, A, A, D, S, D, S, D]],
    ['slip 1: every limited one slipped', { slip: 1 }, 7, [A, A, A, A, A, S, S]],
    ['slip 0: every limited one dropped', { slip: 0 }, 7, [A, A, A, A, A, D, D]],
    ['slip 3', { slip: 3, rate: 1 }, 7, [A, D, D, S, D, D, S]],
    ['window 2: the bucket holds rate x 2', { rate: 2, windowSeconds: 2, slip: 0 }, 6, [A, A, A, A, D, D]],
  ])('%s', (_name, over, n, expected) => {
    expect(run(new RateLimiter(settings(over)), n, 1000)).toEqual(expected);
  });

  it('refills at the rate as time passes, up to the window', () => {
    const l = new RateLimiter(settings({ slip: 0 }));
    expect(run(l, 6, 1000)).toEqual([A, A, A, A, A, D]);
    expect(run(l, 2, 1200)).toEqual([A, D]); // 0.2 s x 5/s = one more
    expect(run(l, 7, 60_000)).toEqual([A, A, A, A, A, D, D]); // a long pause refills only to the window
  });

  it('refills fractions of a response: at rate 3 the next one after 334 ms, not 333', () => {
    const l = new RateLimiter(settings({ rate: 3, slip: 0 }));
    expect(run(l, 4, 10_000)).toEqual([A, A, A, D]);
    expect(run(l, 1, 10_333)).toEqual([D]);
    expect(run(l, 2, 10_334)).toEqual([A, D]);
    expect(run(l, 2, 10_334.5)).toEqual([D, D]);
  });

  it('a clock that steps back refills nothing', () => {
    const l = new RateLimiter(settings({ slip: 0 }));
    run(l, 5, 10_000);
    expect(run(l, 1, 5_000)).toEqual([D]);
  });

  it('keys clients by network: /24 for IPv4, /56 for IPv6, as configured', () => {
    const l = new RateLimiter(settings({ slip: 0 }));
    run(l, 5, 1000, v4('192.0.2.1'));
    expect(run(l, 1, 1000, v4('192.0.2.200'))).toEqual([D]); // same /24
    expect(run(l, 1, 1000, v4('192.0.3.1'))).toEqual([A]);
    const six = (ip: string) => l.decide(6, v6(ip), RESPONSE_KIND.ANSWER, 7, 1000);
    for (let i = 0; i < 5; i++) six('2001:db8:0:100::1');
    expect(six('2001:db8:0:1ff::9')).toBe(D); // same /56
    expect(six('2001:db8:0:200::1')).toBe(A);
    const narrow = new RateLimiter(settings({ slip: 0, ipv4Prefix: 32 }));
    run(narrow, 5, 1000, v4('127.0.0.1'));
    expect(run(narrow, 1, 1000, v4('127.0.0.2'))).toEqual([A]);
  });

  it('keeps kinds apart; answers per name, NXDOMAIN and errors per network', () => {
    const l = new RateLimiter(settings({ slip: 0 }));
    run(l, 5, 1000, undefined, RESPONSE_KIND.ANSWER, 1);
    expect(run(l, 1, 1000, undefined, RESPONSE_KIND.ANSWER, 1)).toEqual([D]);
    expect(run(l, 1, 1000, undefined, RESPONSE_KIND.ANSWER, 2)).toEqual([A]); // another name
    expect(run(l, 1, 1000, undefined, RESPONSE_KIND.NODATA, 1)).toEqual([A]); // another kind
    // NXDOMAIN: one bucket whatever the name (random-subdomain floods)
    for (let name = 0; name < 5; name++) expect(run(l, 1, 1000, undefined, RESPONSE_KIND.NXDOMAIN, name)).toEqual([A]);
    expect(run(l, 1, 1000, undefined, RESPONSE_KIND.NXDOMAIN, 99)).toEqual([D]);
    run(l, 5, 1000, undefined, RESPONSE_KIND.ERROR, 1);
    expect(run(l, 1, 1000, undefined, RESPONSE_KIND.ERROR, 2)).toEqual([D]);
  });

  it('stays within its table: with more keys than buckets it keeps deciding, recent keys keep their state', () => {
    const l = new RateLimiter(settings({ slip: 0, tableSize: 16, ipv4Prefix: 32 }));
    const w = new Uint32Array(4);
    for (let i = 0; i < 10_000; i++) {
      w[0] = (0x0a000001 + i * 256) >>> 0;
      l.decide(4, w, RESPONSE_KIND.ANSWER, 1, 1000);
    }
    const hot = v4('198.51.100.1');
    expect(run(l, 6, 2000, hot)).toEqual([A, A, A, A, A, D]);
    expect(run(l, 1, 2000, hot)).toEqual([D]);
  });
});

describe('response kinds and name hashes', () => {
  const RCODES = { NOERROR: 0, NXDOMAIN: 3, REFUSED: 5 } as const;
  const reply = (rcode: keyof typeof RCODES, answers: dnsPacket.Answer[] = []) =>
    dnsPacket.encode({ type: 'response', id: 1, flags: RCODES[rcode], questions: [{ name: 'a.mesos', type: 'A' }], answers });
  it('reads the kind from the header', () => {
    expect(responseKind(reply('NOERROR', [{ name: 'a.mesos', type: 'A', ttl: 1, data: '10.0.0.1' }]))).toBe(RESPONSE_KIND.ANSWER);
    expect(responseKind(reply('NOERROR'))).toBe(RESPONSE_KIND.NODATA);
    expect(responseKind(reply('NXDOMAIN'))).toBe(RESPONSE_KIND.NXDOMAIN);
    expect(responseKind(reply('REFUSED'))).toBe(RESPONSE_KIND.ERROR);
  });
  it('hashes name (without case) and type', () => {
    const q = (name: string, type: dnsPacket.RecordType) => dnsPacket.encode({ type: 'query', id: 9, questions: [{ name, type }] });
    expect(responseNameHash(q('WWW.Example.ORG', 'A'))).toBe(responseNameHash(q('www.example.org', 'A')));
    expect(responseNameHash(q('www.example.org', 'A'))).not.toBe(responseNameHash(q('www.example.org', 'AAAA')));
    expect(responseNameHash(q('www.example.org', 'A'))).not.toBe(responseNameHash(q('ww.example.org', 'A')));
    expect(responseNameHash(Buffer.alloc(12))).toBe(0);
  });
});

describe('peer addresses', () => {
  const sockaddr = (family: number, addr: number[]): Uint8Array => {
    const b = new Uint8Array(28);
    b[0] = family; // little-endian sa_family_t
    b.set(addr, family === 2 ? 4 : 8);
    return b;
  };
  it('reads sockaddr_in, sockaddr_in6 and IPv4-mapped IPv6 as the words of the address', () => {
    const w = new Uint32Array(4);
    expect(peerWords({ bytes: sockaddr(2, [127, 0, 0, 2]), offset: 0 }, w)).toBe(4);
    expect(w[0]).toBe(0x7f000002);
    const mapped = { bytes: sockaddr(10, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]), offset: 0 };
    expect(peerWords(mapped, w)).toBe(4);
    expect(peerText(mapped)).toBe('10.1.2.3');
    const six = { bytes: sockaddr(10, [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1]), offset: 0 };
    expect(peerWords(six, w)).toBe(6);
    expect(peerText(six)).toBe('2001:db8:0:0:0:0:0:1');
    expect(peerWords('::ffff:127.0.0.1', w)).toBe(4);
    expect(w[0]).toBe(0x7f000001);
    expect(peerWords('not-an-ip', w)).toBe(0);
  });
});
