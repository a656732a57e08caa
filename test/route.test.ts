import { describe, expect, it } from '@jest/globals';
import { parseUpstream, route, type RouteConfig } from '../src/dns/answer/route.js';
import { ConfigError } from '../src/errors.js';

const base: RouteConfig = {
  domain: 'mesos',
  externalOn: true,
  zoneResolvers: { 'corp.example': ['10.0.0.1', '10.0.0.2:5353'], 'example': ['[fd00::1]:53'], 'empty.zone': [] },
  resolvers: ['8.8.8.8', '1.1.1.1:5353'],
};

describe('route', () => {
  const cases: [string, string, RouteConfig, string][] = [
    // [description, qname, config, expected: 'authority' | 'refused' | 'forward <zone> <host:port,...>']
    ['the zone apex is ours', 'mesos', base, 'authority'],
    ['a name in the zone is ours', 'leader.mesos', base, 'authority'],
    ['a deep name in the zone is ours', '_http._tcp.app.marathon.mesos', base, 'authority'],
    ['a trailing dot is ignored', 'leader.mesos.', base, 'authority'],
    ['labels, not substrings: xmesos is not in mesos', 'xmesos', base, 'forward  8.8.8.8:53,1.1.1.1:5353'],
    ['labels, not substrings: a.xmesos', 'a.xmesos', base, 'forward  8.8.8.8:53,1.1.1.1:5353'],
    ['an escaped dot does not split a label', 'leader\\046mesos', base, 'forward  8.8.8.8:53,1.1.1.1:5353'],
    ['an outside name goes to the default resolvers', 'www.google.com', base, 'forward  8.8.8.8:53,1.1.1.1:5353'],
    ['the root goes to the default resolvers', '', base, 'forward  8.8.8.8:53,1.1.1.1:5353'],
    ['a zoneResolvers zone', 'host.corp.example', base, 'forward corp.example 10.0.0.1:53,10.0.0.2:5353'],
    ['the longest zone wins over a shorter one', 'a.b.corp.example', base, 'forward corp.example 10.0.0.1:53,10.0.0.2:5353'],
    ['the shorter zone still serves its other names', 'www.example', base, 'forward example fd00::1:53'],
    ['a zone with no resolvers falls through', 'x.empty.zone', base, 'forward  8.8.8.8:53,1.1.1.1:5353'],
    ['externalOn false refuses, zoneResolvers ignored', 'host.corp.example', { ...base, externalOn: false }, 'refused'],
    ['externalOn false still answers our zone', 'leader.mesos', { ...base, externalOn: false }, 'authority'],
    ['no default resolvers refuses, zoneResolvers ignored', 'host.corp.example', { ...base, resolvers: [] }, 'refused'],
    ['another domain', 'leader.dc1.internal', { ...base, domain: 'dc1.internal' }, 'authority'],
    ['another domain: the old one is forwarded', 'leader.mesos', { ...base, domain: 'dc1.internal' }, 'forward  8.8.8.8:53,1.1.1.1:5353'],
    ['a zone under our domain is forwarded (longest suffix)', 'a.sub.mesos', { ...base, zoneResolvers: { 'sub.mesos': ['10.1.1.1'] } }, 'forward sub.mesos 10.1.1.1:53'],
  ];

  it.each(cases)('%s (%s)', (_what, qname, cfg, expected) => {
    const r = route(qname, cfg);
    const actual = r.kind === 'forward' ? `forward ${r.zone} ${r.upstreams.map((u) => `${u.host}:${u.port}`).join(',')}` : r.kind;
    expect(actual).toBe(expected);
  });

  it('parses each resolver list once per config object', () => {
    const a = route('www.google.com', base);
    const b = route('other.org', base);
    expect(a.kind === 'forward' && b.kind === 'forward' && a.upstreams === b.upstreams).toBe(true);
  });
});

describe('parseUpstream', () => {
  it.each([
    ['8.8.8.8', '8.8.8.8', 53],
    ['8.8.8.8:5353', '8.8.8.8', 5353],
    [' 10.0.0.1:53 ', '10.0.0.1', 53],
    ['::1', '::1', 53],
    ['fd00::53', 'fd00::53', 53],
    ['[::1]', '::1', 53],
    ['[fd00::1]:5300', 'fd00::1', 5300],
  ])('%s', (text, host, port) => {
    expect(parseUpstream(text)).toEqual({ host, port });
  });

  it.each(['dns.google', 'dns.google:53', '8.8.8.8:0', '8.8.8.8:65536', '8.8.8.8:x', '[8.8.8.8]:53', '[::1]:', '', '300.1.1.1'])(
    'rejects %j with a ConfigError naming the key',
    (text) => {
      expect(() => parseUpstream(text, 'ZoneResolvers.corp')).toThrow(ConfigError);
      try {
        parseUpstream(text, 'ZoneResolvers.corp');
      } catch (err) {
        expect((err as ConfigError).key).toBe('ZoneResolvers.corp');
      }
    },
  );
});
