// The secondary keys (Primaries, SecondaryZones): what parseConfig accepts and the typed values
// it makes, and every refusal as one ConfigError naming the key and the reason.
import { describe, expect, it } from '@jest/globals';
import { errorsOf, parse } from './helpers/config.js';

const SECONDARY = { Primaries: ['10.0.0.1', '10.0.0.2:5353'] };

describe('parseConfig: a secondary', () => {
  it('needs no masters or zk, and follows the Domain plus ReverseZones by default', () => {
    const { config, warnings } = parse({ ...SECONDARY, ReverseZones: ['10.2.0.0/16', '0.1.10.in-addr.arpa'] });
    expect(warnings).toEqual([]);
    expect(config.typed.secondary).toEqual({
      on: true,
      primaries: [{ host: '10.0.0.1', port: 53 }, { host: '10.0.0.2', port: 5353 }],
      zones: ['mesos.', '2.10.in-addr.arpa.', '0.1.10.in-addr.arpa.'],
    });
  });

  it('follows SecondaryZones when given (names or reverse CIDRs), the Mesos zone first', () => {
    const { config } = parse({ ...SECONDARY, domain: 'Cluster.Example', SecondaryZones: ['10.3.0.0/16', 'CLUSTER.example.'] });
    expect(config.typed.secondary.zones).toEqual(['cluster.example.', '3.10.in-addr.arpa.']);
  });

  it('is off without Primaries', () => {
    expect(parse({ masters: ['127.0.0.1:5050'] }).config.typed.secondary).toEqual({ on: false, primaries: [], zones: ['mesos.'] });
  });

  it('warns that masters, zk and StateFile are not used', () => {
    expect(parse({ ...SECONDARY, masters: ['127.0.0.1:5050'] }).warnings).toContain('Primaries is set (a secondary): Masters, Zk and StateFile are not used');
  });
});

describe('parseConfig: secondary keys it refuses', () => {
  // [description, config, key named, reason substring]
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['a primary that is a hostname', { Primaries: ['primary.example'] }, 'Primaries', 'is not an IP address'],
    ['a primary with port 0', { Primaries: ['10.0.0.1:0'] }, 'Primaries', 'port must be from 1 to 65535'],
    ['the same primary twice', { Primaries: ['10.0.0.1', '10.0.0.1:53'] }, 'Primaries', 'duplicate primary'],
    ['a secondary with AllowTransfer', { ...SECONDARY, AllowTransfer: ['10.0.0.0/8'] }, 'Primaries', 'AllowTransfer must be empty with Primaries'],
    ['a secondary with Notify', { ...SECONDARY, Notify: ['10.0.0.9'] }, 'Primaries', 'Notify must be empty with Primaries'],
    ['a secondary with DcosNames', { ...SECONDARY, DcosNames: true }, 'DcosNames', 'cannot serve thisdcos.directory'],
    ['SecondaryZones without Primaries', { masters: ['127.0.0.1:5050'], SecondaryZones: ['mesos'] }, 'SecondaryZones', 'Primaries is empty'],
    ['a zone that is neither the domain nor reverse', { ...SECONDARY, SecondaryZones: ['mesos', 'example.com'] }, 'SecondaryZones', '"example.com" is neither the Domain'],
    ['a reverse CIDR not on an octet', { ...SECONDARY, SecondaryZones: ['mesos', '10.0.0.0/12'] }, 'SecondaryZones', 'the prefix must be a multiple of 8'],
    ['SecondaryZones without the domain', { ...SECONDARY, SecondaryZones: ['10.0.0.0/8'] }, 'SecondaryZones', 'must include the Domain'],
  ];
  it.each(cases)('%s', (_what, raw, key, reason) => {
    const errors = errorsOf(() => parse(raw));
    expect(errors.map((e) => [e.key, e.message.includes(reason)])).toContainEqual([key, true]);
  });
});
