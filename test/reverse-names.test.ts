// Reverse-mapping names (src/net/reverse-names.ts) and the reverse table's order and zones
// (src/records/reverse-table.ts), as tables of cases.
import { describe, expect, it } from '@jest/globals';
import { derivedReverseZone, reverseName, reverseZoneOf } from '../src/net/reverse-names.js';
import { ReverseCollector, reverseTable } from '../src/records/reverse-table.js';

describe('reverseName (RFC 1035 §3.5, RFC 3596 §2.5)', () => {
  it.each([
    ['10.0.0.5', '5.0.0.10.in-addr.arpa.'],
    ['255.1.0.0', '0.0.1.255.in-addr.arpa.'],
    ['2001:db8::567:89ab', 'b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.'],
    ['FD00:1::5', '5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa.'],
    ['::ffff:10.0.0.5', '5.0.0.10.in-addr.arpa.'],
  ])('%s -> %s', (ip, name) => {
    expect(reverseName(ip)).toBe(name);
  });

  it('is undefined for what is not an IP', () => {
    expect(reverseName('host.example')).toBeUndefined();
    expect(reverseName('10.0.0.256')).toBeUndefined();
  });

  // Dotted quads are sliced from the text (the fast path); text that is not canonical takes the
  // general parser and must come out the same, or be refused the same way.
  it.each([
    ['0.0.0.0', '0.0.0.0.in-addr.arpa.'],
    ['1.22.103.255', '255.103.22.1.in-addr.arpa.'],
    ['010.0.0.5', undefined],
    ['10.0.0', undefined],
    ['10.0.0.5.', undefined],
    ['10..0.5', undefined],
    ['10.0.0.-1', undefined],
    ['1.2.3.4.5', undefined],
  ])('%s -> %s (fast path or not)', (ip, name) => {
    expect(reverseName(ip)).toBe(name);
  });
});

describe('derivedReverseZone: the /24 or /64 of an address in use', () => {
  it.each([
    ['10.1.2.3', '2.1.10.in-addr.arpa.'],
    ['2001:db8:aa:bb::1', 'b.b.0.0.a.a.0.0.8.b.d.0.1.0.0.2.ip6.arpa.'],
  ])('%s -> %s', (ip, zone) => {
    expect(derivedReverseZone(ip)).toBe(zone);
  });
});

describe('reverseZoneOf: a ReverseZones entry', () => {
  it.each([
    ['10.0.0.0/8', '10.in-addr.arpa.'],
    ['10.20.0.0/16', '20.10.in-addr.arpa.'],
    ['192.168.7.0/24', '7.168.192.in-addr.arpa.'],
    ['0.0.0.0/0', 'in-addr.arpa.'],
    ['fd00:1::/32', '1.0.0.0.0.0.d.f.ip6.arpa.'],
    ['10.IN-ADDR.ARPA.', '10.in-addr.arpa.'],
    ['8.b.d.0.1.0.0.2.ip6.arpa', '8.b.d.0.1.0.0.2.ip6.arpa.'],
  ])('%s -> %s', (entry, zone) => {
    expect(reverseZoneOf(entry)).toEqual({ value: zone });
  });

  it.each([
    ['10.0.0.0/12', 'a multiple of 8'],
    ['fd00::/10', 'a multiple of 4'],
    ['10.0.0.1/8', 'host bits are set'],
    ['mesos', 'neither a CIDR nor a name under'],
    ['arpa', 'neither a CIDR nor a name under'],
  ])('refuses %s', (entry, reason) => {
    expect(reverseZoneOf(entry).reason).toContain(reason);
  });
});

describe('reverse table', () => {
  it('keeps names in the order added, each once; configured zones leave outside addresses out; ancestors exist up to the zone', () => {
    const c = new ReverseCollector();
    c.add('10.1.2.3', 'b.mesos.');
    c.add('10.1.2.3', 'a.mesos.');
    c.add('10.1.2.3', 'b.mesos.');
    c.add('9.0.0.1', 'x.mesos.');
    const t = reverseTable(c.finish(['10.in-addr.arpa.']));
    expect([...t.ptr]).toEqual([['3.2.1.10.in-addr.arpa.', ['b.mesos.', 'a.mesos.']]]);
    expect([...t.existing].sort()).toEqual(['1.10.in-addr.arpa.', '10.in-addr.arpa.', '2.1.10.in-addr.arpa.', '3.2.1.10.in-addr.arpa.']);
    const derived = reverseTable(c.finish([]));
    expect([...derived.zones]).toEqual(['2.1.10.in-addr.arpa.', '0.0.9.in-addr.arpa.']);
    expect(derived.ptr.get('1.0.0.9.in-addr.arpa.')).toEqual(['x.mesos.']);
  });

  it('existing: owners, empty non-terminals and zones, each once; a /32 zone whose apex is an owner adds no names above it', () => {
    const c = new ReverseCollector();
    c.add('10.1.2.3', 'a.mesos.');
    c.add('10.1.2.4', 'b.mesos.');
    c.add('10.1.9.9', 'c.mesos.');
    c.add('172.16.0.1', 'd.mesos.');
    const t = reverseTable(c.finish(['10.in-addr.arpa.', '1.0.16.172.in-addr.arpa.']));
    const expected = ['1.0.16.172.in-addr.arpa.', '1.10.in-addr.arpa.', '10.in-addr.arpa.', '2.1.10.in-addr.arpa.', '3.2.1.10.in-addr.arpa.', '4.2.1.10.in-addr.arpa.', '9.1.10.in-addr.arpa.', '9.9.1.10.in-addr.arpa.'];
    expect([...t.existing].sort()).toEqual(expected);
    expect(t.existing.size).toBe(expected.length);
    for (const name of expected) expect(t.existing.has(name)).toBe(true);
    for (const name of ['0.16.172.in-addr.arpa.', '5.2.1.10.in-addr.arpa.', 'in-addr.arpa.']) expect(t.existing.has(name)).toBe(false);
    expect(t.ptr.get('1.0.16.172.in-addr.arpa.')).toEqual(['d.mesos.']);
  });
});
