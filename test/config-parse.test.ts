// parseConfig on configurations it accepts: defaults, key matching, the SOA and resolv.conf
// normalisations, and redactConfig on the result.
import { describe, expect, it } from '@jest/globals';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { wantsResolvConf } from '../src/config/decode.js';
import { redactConfig } from '../src/config/redact.js';
import { resolvConfNameservers } from '../src/config/validate.js';
import { BASE, ENV, config, parse } from './helpers/config.js';

describe('parseConfig: defaults and key matching', () => {
  it('fills every default from {masters:[...]}, with File and SOASerial from the environment', () => {
    const { config: c, warnings } = parse(BASE);
    expect(c).toEqual(withTyped({ ...DEFAULTS, Masters: ['127.0.0.1:5050'], File: ENV.file, SOASerial: ENV.now }));
    expect(warnings).toEqual([]);
  });

  it('does not share arrays or objects with DEFAULTS', () => {
    const c = parse(BASE).config;
    c.Resolvers.push('1.1.1.1');
    c.MesosCredentials.Secret = 'x';
    expect(DEFAULTS.Resolvers).toEqual(['8.8.8.8']);
    expect(DEFAULTS.MesosCredentials.Secret).toBe('');
  });

  const keyCases: [string, unknown, keyof Config, unknown][] = [
    ['refreshSeconds', 30, 'RefreshSeconds', 30],
    ['RefreshSeconds', 31, 'RefreshSeconds', 31],
    ['refreshseconds', 32, 'RefreshSeconds', 32],
    ['REFRESHSECONDS', 33, 'RefreshSeconds', 33],
    ['httpport', 9000, 'HttpPort', 9000],
    ['HTTPPort', 9001, 'HttpPort', 9001],
    ['ttl', 5, 'TTL', 5],
    ['externalon', false, 'ExternalOn', false],
    ['soamname', 'ns.example.org', 'SOAMname', 'ns.example.org.'],
    ['ipsources', ['host'], 'IPSources', ['host']],
    ['enforcerfc952', true, 'EnforceRFC952', true],
    ['settruncatebit', false, 'SetTruncateBit', false],
    ['statefile', '/tmp/state.json', 'StateFile', '/tmp/state.json'],
    ['ednsmaxudpsize', 4096, 'EDNSMaxUDPSize', 4096],
    ['identity', 'é'.repeat(127), 'Identity', 'é'.repeat(127)],
    ['tcpIoTimeoutMs', 250, 'TCPIOTimeoutMs', 250],
    ['tcpidletimeoutms', 3000, 'TCPIdleTimeoutMs', 3000],
    ['tcpMaxConnections', 64, 'TCPMaxConnections', 64],
    ['tcpMaxClientConnections', 0, 'TCPMaxClientConnections', 0],
    ['httpMaxConnections', 32, 'HTTPMaxConnections', 32],
    ['httpHeadersTimeoutMs', 2000, 'HTTPHeadersTimeoutMs', 2000],
    ['httpRequestTimeoutMs', 60000, 'HTTPRequestTimeoutMs', 60000],
    ['httpKeepAliveTimeoutMs', 1000, 'HTTPKeepAliveTimeoutMs', 1000],
    ['statemaxbytes', 1048576, 'StateMaxBytes', 1048576],
    ['readymaxtableageseconds', 180, 'ReadyMaxTableAgeSeconds', 180],
    ['forwardmaxfails', 0, 'ForwardMaxFails', 0],
    ['FORWARDHEALTHCHECKMS', 50, 'ForwardHealthCheckMs', 50],
    ['healthPolicy', 'exclude-unhealthy', 'HealthPolicy', 'exclude-unhealthy'],
    ['HEALTHPOLICY', 'only-healthy', 'HealthPolicy', 'only-healthy'],
    ['mesoscredentials', { PRINCIPAL: 'p', Secret: 's' }, 'MesosCredentials', { Principal: 'p', Secret: 's' }],
  ];
  it.each(keyCases)('key %s sets %s', (key, value, field, expected) => {
    expect(config({ [key]: value })[field]).toEqual(expected);
  });

  it('uses the last of two spellings of one key and says so', () => {
    const { config: c, warnings } = parse({ ...BASE, ttl: 10, TTL: 20 });
    expect(c.TTL).toBe(20);
    expect(warnings).toEqual(['key "TTL" repeats "ttl"; the last one is used']);
  });

  it('ignores unknown keys with a warning naming them (the sample config has "ns")', () => {
    const { config: c, warnings } = parse({ ...BASE, ns: 'ns1', mesosCredentials: { principal: 'p', token: 't' } });
    expect(c.MesosCredentials).toEqual({ Principal: 'p', Secret: '' });
    expect(warnings).toContain('unknown key "ns" ignored');
    expect(warnings).toContain('unknown key "mesosCredentials.token" ignored');
  });

  it('ignores SOASerial and File from the file, with a warning', () => {
    const { config: c, warnings } = parse({ ...BASE, SOASerial: 5, file: '/elsewhere.json' });
    expect(c.SOASerial).toBe(ENV.now);
    expect(c.File).toBe(ENV.file);
    expect(warnings.some((w) => w.startsWith('key "SOASerial" ignored'))).toBe(true);
    expect(warnings.some((w) => w.startsWith('key "file" ignored'))).toBe(true);
  });

  it('treats null like Go: scalars keep their default, lists become empty', () => {
    const c = config({ ttl: null, zoneResolvers: null, zk: 'zk://10.0.0.1:2181/mesos', masters: null });
    expect(c.TTL).toBe(60);
    expect(c.ZoneResolvers).toEqual({});
    expect(c.Masters).toBeNull();
  });
});

describe('parseConfig: accepted configurations', () => {
  const cases: [string, Record<string, unknown>, Partial<Config>][] = [
    ['a hostname master (mesos-dns crashes on it; we resolve it later)', { masters: ['leader.mesos:5050', 'localhost:5050'] }, { Masters: ['leader.mesos:5050', 'localhost:5050'] }],
    ['an IPv6 master in brackets', { masters: ['[::1]:5050', '[2001:db8::1]:5050'] }, { Masters: ['[::1]:5050', '[2001:db8::1]:5050'] }],
    ['the same host on two ports', { masters: ['10.0.0.1:5050', '10.0.0.1:5051'] }, { Masters: ['10.0.0.1:5050', '10.0.0.1:5051'] }],
    ['zk without masters', { masters: undefined, zk: 'zk://10.0.0.1:2181,10.0.0.2:2181/mesos' }, { Masters: null, Zk: 'zk://10.0.0.1:2181,10.0.0.2:2181/mesos' }],
    ['zk with default ports and an explicit empty masters list', { masters: [], zk: 'zk://zk1,zk2/mesos' }, { Masters: [] }],
    ['StateFile without masters or zk', { masters: undefined, StateFile: '/var/lib/state.json' }, { StateFile: '/var/lib/state.json', Masters: null }],
    ['resolvers: IP, ip:port, IPv6, [IPv6]:port', { resolvers: ['8.8.8.8', '8.8.4.4:5353', '2001:4860:4860::8888', '[2001:4860:4860::8844]:53'] }, { Resolvers: ['8.8.8.8', '8.8.4.4:5353', '2001:4860:4860::8888', '[2001:4860:4860::8844]:53'] }],
    ['bad resolvers while externalon is false (mesos-dns checks them only when forwarding)', { externalon: false, resolvers: ['not-an-ip', 'not-an-ip'] }, { ExternalOn: false, Resolvers: ['not-an-ip', 'not-an-ip'] }],
    ['zoneResolvers keys lower-cased and without the trailing dot', { zoneResolvers: { 'Consul.': ['127.0.0.1:8600'] } }, { ZoneResolvers: { consul: ['127.0.0.1:8600'] } }],
    ['zones that share a suffix but not a label boundary', { zoneResolvers: { 'abc.com': ['1.1.1.1'], 'bc.com': ['1.0.0.1'] } }, { ZoneResolvers: { 'abc.com': ['1.1.1.1'], 'bc.com': ['1.0.0.1'] } }],
    ['a zone beside the mesos domain', { domain: 'dc.mesos', zoneResolvers: { 'acdc.mesos': ['8.8.8.8'] } }, { Domain: 'dc.mesos' }],
    ['timeout 0 means 5', { timeout: 0 }, { Timeout: 5 }],
    ['port 0 (any free port) for DNS and HTTP', { port: 0, httpport: 0 }, { Port: 0, HttpPort: 0 }],
    ['domain lower-cased', { domain: 'DC.Mesos' }, { Domain: 'dc.mesos' }],
    ['IPv6 listeners', { listener: '::', HTTPListener: '::1' }, { Listener: '::', HTTPListener: '::1' }],
    ['basic auth with a principal only', { mesosAuthentication: 'basic', mesosCredentials: { principal: 'p' } }, { MesosAuthentication: 'basic' }],
    ['iam with an account file', { mesosAuthentication: 'iam', IAMConfigFile: '/etc/iam.json' }, { MesosAuthentication: 'iam', IAMConfigFile: '/etc/iam.json' }],
    ['a client certificate pair', { CertFile: '/c.pem', KeyFile: '/k.pem' }, { CertFile: '/c.pem', KeyFile: '/k.pem' }],
    ['all IP sources', { IPSources: ['docker', 'host', 'mesos', 'netinfo'] }, { IPSources: ['docker', 'host', 'mesos', 'netinfo'] }],
    ['edges of the ranges', { ttl: 2 ** 31 - 1, SOAExpire: 2 ** 32 - 1, srvRecordDefaultWeight: 0, EDNSMaxUDPSize: 512, ForwardCacheSize: 0, Workers: 0 }, { TTL: 2 ** 31 - 1, SOAExpire: 2 ** 32 - 1, SRVRecordDefaultWeight: 0, EDNSMaxUDPSize: 512 }],
  ];
  it.each(cases)('%s', (_name, raw, expected) => {
    const c = config(raw);
    expect(c).toMatchObject(expected as Record<string, unknown>);
  });

  it('warns when StateFile makes masters unused', () => {
    const { warnings } = parse({ ...BASE, StateFile: '/s.json' });
    expect(warnings).toContain('StateFile is set, so masters and zk are not used');
  });

  it('warns about credentials that no mechanism uses', () => {
    const { warnings } = parse({ ...BASE, mesosCredentials: { principal: 'p', secret: 's' } });
    expect(warnings.join('\n')).toContain('MesosCredentials is set but MesosAuthentication is empty');
  });
});

describe('parseConfig: SOA normalisation (mesos-dns initSOA)', () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [{}, 'ns1.mesos.', 'root.ns1.mesos.'],
    [{ SOARname: 'admin@example.org' }, 'ns1.mesos.', 'admin.example.org.'],
    [{ SOARname: 'hostmaster@dc.mesos...' }, 'ns1.mesos.', 'hostmaster.dc.mesos.'],
    [{ SOARname: 'Admin@Example.org' }, 'ns1.mesos.', 'Admin.Example.org.'],
    [{ SOAMname: 'NS1.DC.Mesos..' }, 'ns1.dc.mesos.', 'root.ns1.mesos.'],
    [{ SOAMname: 'ns1.mesos.' }, 'ns1.mesos.', 'root.ns1.mesos.'],
    // SOAMname does not follow the domain (behaviour §11.12)
    [{ domain: 'dc.mesos' }, 'ns1.mesos.', 'root.ns1.mesos.'],
  ];
  it.each(cases)('%j -> %s %s', (raw, mname, rname) => {
    const c = config(raw);
    expect([c.SOAMname, c.SOARname]).toEqual([mname, rname]);
  });
});

describe('parseConfig: resolvers from /etc/resolv.conf', () => {
  const resolvConf = [
    '# generated',
    'search example.org',
    'nameserver 10.0.0.2',
    'nameserver 127.0.0.53 # the local stub',
    'nameserver 2001:db8::53',
    'nameserver 10.0.0.2',
    'nameserver fe80::1%eth0',
    'nameserver 10.0.0.3 ; trailing comment',
    'options ndots:5',
  ].join('\n');

  it('fills an explicit [] with the non-local nameservers when externalon', () => {
    const { config: c, warnings } = parse(
      { ...BASE, resolvers: [] },
      { resolvConf, localAddresses: ['127.0.0.53', '2001:0db8:0:0:0:0:0:0053'] },
    );
    expect(c.Resolvers).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(warnings.join('\n')).toContain('nameserver "fe80::1%eth0" skipped');
  });

  it('fills a null list the same way (Go decodes null to an empty slice)', () => {
    expect(config({ resolvers: null }, { resolvConf }).Resolvers).toEqual(['10.0.0.2', '127.0.0.53', '2001:db8::53', '10.0.0.3']);
  });

  it('keeps the default when resolvers is absent, and [] when forwarding is off', () => {
    expect(config({}, { resolvConf }).Resolvers).toEqual(['8.8.8.8']);
    expect(config({ resolvers: [], externalon: false }, { resolvConf }).Resolvers).toEqual([]);
  });

  it('warns when resolv.conf gives nothing usable', () => {
    const { config: c, warnings } = parse({ ...BASE, resolvers: [] }, { resolvConf: 'nameserver 127.0.0.1\n', localAddresses: ['127.0.0.1'] });
    expect(c.Resolvers).toEqual([]);
    expect(warnings.join('\n')).toContain('gave no usable nameserver');
  });

  const wants: [unknown, boolean][] = [
    [{ resolvers: [] }, true],
    [{ Resolvers: null }, true],
    [{ RESOLVERS: [], externalon: true }, true],
    [{ resolvers: [], ExternalOn: false }, false],
    [{ resolvers: ['8.8.8.8'] }, false],
    [{}, false],
    [[], false],
  ];
  it.each(wants)('wantsResolvConf(%j) = %s', (raw, expected) => {
    expect(wantsResolvConf(raw)).toBe(expected);
  });

  it('reads nameserver lines in order, without comments', () => {
    expect(resolvConfNameservers(resolvConf)).toEqual(['10.0.0.2', '127.0.0.53', '2001:db8::53', '10.0.0.2', 'fe80::1%eth0', '10.0.0.3']);
  });
});

describe('redactConfig', () => {
  it('hides a non-empty secret in a copy and leaves the original alone', () => {
    const c = config({ mesosAuthentication: 'basic', mesosCredentials: { principal: 'p', secret: 's3cret' } });
    const shown = redactConfig(c);
    expect(shown.MesosCredentials).toEqual({ Principal: 'p', Secret: '******' });
    expect(JSON.stringify(shown)).not.toContain('s3cret');
    expect(c.MesosCredentials.Secret).toBe('s3cret');
    const { typed: _typed, ...raw } = c;
    expect(shown).toEqual({ ...raw, MesosCredentials: { Principal: 'p', Secret: '******' } });
  });

  it('leaves an empty secret empty', () => {
    expect(redactConfig(config({})).MesosCredentials.Secret).toBe('');
  });
});
