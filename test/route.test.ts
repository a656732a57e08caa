import { describe, expect, it } from '@jest/globals';
import { domainIsAllOurs, route } from '../src/dns/answer/route.js';
import { RAW_DEFAULTS } from '../src/config/schema.js';
import { typedValues, type Routing } from '../src/config/typed.js';

/** The routing config/typed.ts computes once per load, from the keys route() depends on. */
interface RouteConfig {
  domain: string;
  externalOn: boolean;
  zoneResolvers: Record<string, string[]>;
  resolvers: string[];
}
const routing = new WeakMap<RouteConfig, Routing>();
function routingOf(cfg: RouteConfig): Routing {
  let r = routing.get(cfg);
  if (!r) {
    const raw = { ...RAW_DEFAULTS, Domain: cfg.domain, ExternalOn: cfg.externalOn, ZoneResolvers: cfg.zoneResolvers, Resolvers: cfg.resolvers };
    r = typedValues(raw).routing;
    routing.set(cfg, r);
  }
  return r;
}

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
    const r = route(qname, routingOf(cfg));
    const actual = r.kind === 'forward' ? `forward ${r.zone} ${r.upstreams.map((u) => `${u.host}:${u.port}`).join(',')}` : r.kind;
    expect(actual).toBe(expected);
  });

  it('parses each resolver list once per config object', () => {
    const a = route('www.google.com', routingOf(base));
    const b = route('other.org', routingOf(base));
    expect(a.kind === 'forward' && b.kind === 'forward' && a.upstreams === b.upstreams).toBe(true);
  });
});

describe('domainIsAllOurs (the answer cache and route() agree on zone precedence)', () => {
  it.each<[string, RouteConfig, boolean]>([
    ['zones outside the domain', base, true],
    ['a zone inside the domain', { ...base, zoneResolvers: { 'sub.mesos': ['10.1.1.1'] } }, false],
    ['a zone inside the domain without resolvers', { ...base, zoneResolvers: { 'sub.mesos': [] } }, true],
    ['a zone inside the domain, but no forwarder', { ...base, externalOn: false, zoneResolvers: { 'sub.mesos': ['10.1.1.1'] } }, true],
    ['a zone named like a label suffix only', { ...base, zoneResolvers: { xmesos: ['10.1.1.1'] } }, true],
  ])('%s', (_what, cfg, want) => {
    expect(domainIsAllOurs(routingOf(cfg))).toBe(want);
  });
});

describe('route with reverse zones (from the table)', () => {
  const zones = new Set(['0.0.10.in-addr.arpa.', '8.b.d.0.1.0.0.2.ip6.arpa.']);
  const withArpa: RouteConfig = { ...base, zoneResolvers: { '10.in-addr.arpa': ['10.0.0.1'], '0.0.10.in-addr.arpa': ['10.0.0.2'] } };
  const other: RouteConfig = { ...base, zoneResolvers: { '10.in-addr.arpa': ['10.0.0.1'] } };
  it.each([
    ['an address in a reverse zone', '5.0.0.10.in-addr.arpa', base, { kind: 'reverse', zone: '0.0.10.in-addr.arpa.' }],
    ['the apex, with a trailing dot', '0.0.10.in-addr.arpa.', base, { kind: 'reverse', zone: '0.0.10.in-addr.arpa.' }],
    ['an ip6.arpa name', '1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', base, { kind: 'reverse', zone: '8.b.d.0.1.0.0.2.ip6.arpa.' }],
    ['the longer reverse zone beats a wider forwarding zone', '5.0.0.10.in-addr.arpa', other, { kind: 'reverse', zone: '0.0.10.in-addr.arpa.' }],
  ])('%s', (_what, qname, cfg, expected) => {
    expect(route(qname, routingOf(cfg), zones)).toEqual(expected);
  });

  it('outside every reverse zone, or without them, names are forwarded; a zoneResolvers zone of the same name wins', () => {
    expect(route('5.1.0.10.in-addr.arpa', routingOf(other), zones)).toMatchObject({ kind: 'forward', zone: '10.in-addr.arpa' });
    expect(route('5.0.0.10.in-addr.arpa', routingOf(base))).toMatchObject({ kind: 'forward', zone: '' });
    expect(route('5.0.0.10.in-addr.arpa', routingOf(withArpa), zones)).toMatchObject({ kind: 'forward', zone: '0.0.10.in-addr.arpa' });
  });
});
