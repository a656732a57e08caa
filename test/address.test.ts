// The one address model (src/net/address.ts) and CIDR ranges (src/net/cidr.ts), from tables.
import { describe, expect, it } from '@jest/globals';
import {
  canonicalIP,
  joinHostPort,
  parseMasterAddress,
  parsePidAddress,
  parseResolverAddress,
  sameHostPort,
  splitHostPort,
} from '../src/net/address.js';
import { cidrContains, cidrMatcher, cidrWordsMatcher, parseCidr, type Cidr } from '../src/net/cidr.js';
import { peerWords } from '../src/net/peer.js';

describe('canonicalIP: one text per address (RFC 5952; IPv4-mapped as dotted IPv4, as Go)', () => {
  it.each<[string, string | undefined]>([
    ['10.0.0.1', '10.0.0.1'],
    ['1.2.3.4', '1.2.3.4'],
    ['255.255.255.255', '255.255.255.255'],
    ['256.1.1.1', undefined],
    ['010.1.1.1', undefined], // leading zeros: Go's net.ParseIP rejects them
    ['1.2.3', undefined],
    ['::1', '::1'],
    ['::', '::'],
    ['2001:0db8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['fd01:b::1:8000:2', 'fd01:b::1:8000:2'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal zero runs is compressed
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['fe80::1%eth0', undefined],
    ['[::1]', undefined],
    ['1::2::3', undefined],
    ['leader.mesos', undefined],
    ['localhost', undefined],
    ['dev-123-1e.c.mesos.internal', undefined],
    ['', undefined],
  ])('canonicalIP(%j) = %j', (text, expected) => {
    expect(canonicalIP(text)).toBe(expected);
  });
});

describe('host:port split, join and compare', () => {
  it('splits with Go net.SplitHostPort rules', () => {
    expect(splitHostPort('144.76.157.37:5050').value).toEqual({ host: '144.76.157.37', port: '5050' });
    expect(splitHostPort('[::1]:5050').value).toEqual({ host: '::1', port: '5050' });
    expect(splitHostPort('localhost').reason).toBe('missing port');
    expect(splitHostPort('::1:5050').reason).toMatch(/brackets/);
    expect(splitHostPort('[::1]5050').reason).toMatch(/missing port after/);
  });

  it('joins with brackets around IPv6 only, and round-trips', () => {
    expect(joinHostPort({ host: '::1', port: 5050 })).toBe('[::1]:5050');
    expect(joinHostPort({ host: '10.0.0.1', port: 5050 })).toBe('10.0.0.1:5050');
    expect(joinHostPort({ host: 'leader.mesos', port: 5050 })).toBe('leader.mesos:5050');
    for (const text of ['[2001:db8::1]:5050', '10.0.0.1:1', 'm.example:65535']) {
      expect(joinHostPort(parseMasterAddress(text).value!)).toBe(text);
    }
  });

  it('compares IP literals canonically and hostnames case-insensitively', () => {
    expect(sameHostPort({ host: '2001:DB8:0::1', port: 1 }, { host: '2001:db8::1', port: 1 })).toBe(true);
    expect(sameHostPort({ host: '::ffff:1.2.3.4', port: 1 }, { host: '1.2.3.4', port: 1 })).toBe(true);
    expect(sameHostPort({ host: 'Master.Example', port: 1 }, { host: 'master.example', port: 1 })).toBe(true);
    expect(sameHostPort({ host: 'master.example.', port: 1 }, { host: 'master.example', port: 1 })).toBe(true);
    expect(sameHostPort({ host: '1.2.3.4', port: 1 }, { host: '1.2.3.4', port: 2 })).toBe(false);
  });
});

describe('config and pid address forms', () => {
  it.each<[string, { host: string; port: number } | undefined]>([
    ['[::1]:5050', { host: '::1', port: 5050 }],
    ['leader.mesos:5050', { host: 'leader.mesos', port: 5050 }],
    ['10.0.0.1:5050', { host: '10.0.0.1', port: 5050 }],
    ['10.0.0.1:0', undefined],
    ['10.0.0.1:65536', undefined],
    ['[10.0.0.1]:5050', undefined],
    ['::1:5050', undefined],
    [':5050', undefined],
    ['bad_host!:5050', undefined],
  ])('parseMasterAddress(%j)', (text, want) => {
    expect(parseMasterAddress(text).value).toEqual(want);
  });

  it.each<[string, { host: string; port: number } | undefined]>([
    ['8.8.8.8', { host: '8.8.8.8', port: 53 }],
    ['8.8.8.8:5353', { host: '8.8.8.8', port: 5353 }],
    ['::1', { host: '::1', port: 53 }],
    ['fd00::53', { host: 'fd00::53', port: 53 }],
    ['[2001:db8::53]:5353', { host: '2001:db8::53', port: 5353 }],
    ['dns.google', undefined],
    ['dns.google:53', undefined],
    ['8.8.8.8:0', undefined],
    ['8.8.8.8:65536', undefined],
    ['8.8.8.8:x', undefined],
    ['[::1]:', undefined],
    ['', undefined],
    ['300.1.1.1', undefined],
  ])('parseResolverAddress(%j)', (text, want) => {
    expect(parseResolverAddress(text).value).toEqual(want);
  });

  it.each<[string, { host: string; port: number } | undefined]>([
    ['144.76.157.37:5050', { host: '144.76.157.37', port: 5050 }],
    ['[::1]:5050', { host: '::1', port: 5050 }],
    ['localhost:15050', { host: 'localhost', port: 15050 }],
    ['host:0', { host: 'host', port: 0 }], // libprocess allows port 0
    ['[::ffff:1.2.3.4]:1', undefined], // a bracketed pid host is IPv6
    ['localhost', undefined],
    ['::1:5050', undefined],
  ])('parsePidAddress(%j)', (text, want) => {
    expect(parsePidAddress(text)).toEqual(want);
  });
});

describe('CIDR ranges', () => {
  const cidr = (text: string): Cidr => {
    const parsed = parseCidr(text);
    if (parsed.reason !== undefined) throw new Error(parsed.reason);
    return parsed.value;
  };

  it.each<[string, string]>([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.168.1.7/32', '192.168.1.7/32'],
    ['FD00::/8', 'fd00::/8'],
    ['2001:db8:0:0::/32', '2001:db8::/32'],
    ['::/0', '::/0'],
    ['::1/128', '::1/128'],
  ])('parses %j as %j', (text, canonical) => {
    expect(cidr(text).text).toBe(canonical);
  });

  it.each<[string, RegExp]>([
    ['10.0.0.1/8', /host bits are set/],
    ['fd00::1/8', /host bits are set/],
    ['10.0.0.0/33', /from 0 to 32/],
    ['fd00::/129', /from 0 to 128/],
    ['10.0.0.0/08', /from 0 to 32/],
    ['10.0.0.0/', /from 0 to 32/],
    ['10.0.0.0/-1', /from 0 to 32/],
    ['10.0.0.0', /not a CIDR range/],
    ['10.0.0/8', /not an IP address/],
    ['host.example/8', /not an IP address/],
    ['::ffff:10.0.0.0/104', /not an IP address/],
  ])('rejects %j', (text, reason) => {
    expect(parseCidr(text).reason).toMatch(reason);
  });

  it.each<[string, string, boolean]>([
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true], // an IPv4 client on a dual-stack socket
    ['10.0.0.0/8', 'fd00::1', false],
    ['0.0.0.0/0', '1.2.3.4', true],
    ['192.168.1.7/32', '192.168.1.7', true],
    ['192.168.1.7/32', '192.168.1.8', false],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['fd00::/8', 'fd12:3456::1', true],
    ['fd00::/8', 'fe80::1', false],
    ['fd00::/8', '10.0.0.1', false],
    ['2001:db8::/33', '2001:db8:7fff::1', true],
    ['2001:db8::/33', '2001:db8:8000::1', false],
    ['::/0', '::1', true],
    ['::1/128', '0:0:0:0:0:0:0:1', true],
    ['::1/128', '::2', false],
    ['10.0.0.0/8', 'not-an-ip', false],
  ])('%s contains %s: %s', (range, ip, want) => {
    expect(cidrContains(cidr(range), ip)).toBe(want);
    expect(cidrMatcher([cidr(range)])(ip)).toBe(want);
    // The same over the words a reply's peer gives (net/peer.ts peerWords), as RRL's exemption reads it.
    const words = new Uint32Array(4);
    const family = peerWords(ip, words);
    if (family !== 0) expect(cidrWordsMatcher([cidr(range)])(family, words)).toBe(want);
  });

  it('a matcher over a list matches any of its ranges, of either family', () => {
    const inRange = cidrMatcher(['10.0.0.0/8', '192.168.0.0/16', 'fd00::/8', '::1/128'].map(cidr));
    expect(['10.1.1.1', '192.168.3.4', 'fd00::5', '::1', '::ffff:192.168.0.1'].every(inRange)).toBe(true);
    expect(['11.1.1.1', '192.169.0.1', 'fe80::1', '::2', ''].some(inRange)).toBe(false);
    expect(cidrMatcher([])('10.0.0.1')).toBe(false);
  });
});
