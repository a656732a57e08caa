import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { RAW_DEFAULTS, type RawConfig } from '../src/config/schema.js';
import { ConfigError, ConfigErrors } from '../src/errors.js';
import { wantsResolvConf } from '../src/config/decode.js';
import { loadConfig } from '../src/config/load.js';
import { redactConfig } from '../src/config/redact.js';
import { parseConfig, resolvConfNameservers, type ConfigEnv } from '../src/config/validate.js';

const ENV: ConfigEnv = { file: '/etc/mesos-dns/config.json', resolvConf: '', localAddresses: [], now: 1_700_000_000 };
const BASE = { masters: ['127.0.0.1:5050'] };

const parse = (raw: unknown, env: Partial<ConfigEnv> = {}) => parseConfig(raw, { ...ENV, ...env });
/** raw over BASE, as a JSON file would hold it (a key set to undefined is left out). */
const withBase = (raw: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries({ ...BASE, ...raw }).filter(([, v]) => v !== undefined));
const config = (raw: Record<string, unknown>, env: Partial<ConfigEnv> = {}) => parse(withBase(raw), env).config;

function errorsOf(run: () => unknown): ConfigError[] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigErrors);
    return (err as ConfigErrors).errors;
  }
  throw new Error('expected ConfigErrors, nothing was thrown');
}

async function asyncErrorsOf(run: () => Promise<unknown>): Promise<ConfigError[]> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigErrors);
    return (err as ConfigErrors).errors;
  }
  throw new Error('expected ConfigErrors, nothing was thrown');
}

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

describe('parseConfig: every problem is an error naming the key and the reason', () => {
  // [description, config (merged over BASE; undefined removes a key), key named, reason substring]
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['dns and http both off', { dnson: false, httpon: false }, 'dnson', 'either the DNS or the HTTP server should be on'],
    ['no masters, no zk', { masters: [] }, 'masters', 'specify Mesos masters or zk'],
    ['no masters key at all', { masters: undefined }, 'Masters', 'specify Mesos masters or zk'],
    ['master without port', { masters: ['127.0.0.1'] }, 'masters', '"127.0.0.1" is not host:port: missing port'],
    ['master port 0', { masters: ['127.0.0.1:0'] }, 'masters', 'port must be from 1 to 65535'],
    ['master port 65536', { masters: ['127.0.0.1:65536'] }, 'masters', 'port must be from 1 to 65535'],
    ['master port not a number', { masters: ['127.0.0.1:http'] }, 'masters', 'port must be from 1 to 65535'],
    ['bare IPv6 master', { masters: ['::1:5050'] }, 'masters', 'an IPv6 address must be in brackets'],
    ['hostname in brackets', { masters: ['[mesos]:5050'] }, 'masters', 'only IPv6 addresses go in brackets'],
    ['empty master host', { masters: [':5050'] }, 'masters', 'the host is empty'],
    ['master host with bad characters', { masters: ['bad host!:5050'] }, 'masters', 'neither an IP address nor a valid hostname'],
    ['master with a mistyped IPv4', { masters: ['10.0.0.256:5050'] }, 'masters', 'neither an IP address nor a valid hostname'],
    ['duplicate masters', { masters: ['1.2.3.4:5050', '1.2.3.4:5050'] }, 'masters', 'duplicate master "1.2.3.4:5050"'],
    ['long and short IPv6 forms', { masters: ['[2001:db8::1]:5050', '[2001:0db8:0:0:0:0:0:1]:5050'] }, 'masters', 'duplicate master "[2001:0db8:0:0:0:0:0:1]:5050"'],
    ['IPv4-mapped IPv6 and IPv4', { masters: ['10.0.0.1:5050', '[::ffff:10.0.0.1]:5050'] }, 'masters', 'duplicate master'],
    ['same hostname in two cases', { masters: ['Leader.Mesos:5050', 'leader.mesos:5050'] }, 'masters', 'duplicate master'],
    ['masters not a list', { masters: '127.0.0.1:5050' }, 'masters', 'must be a list of strings'],
    ['masters with a number', { masters: [5050] }, 'masters', 'must be a list of strings'],
    ['duplicate resolvers once the port is filled in', { resolvers: ['8.8.8.8', '8.8.8.8:53'] }, 'resolvers', 'duplicate resolver "8.8.8.8:53"'],
    ['duplicate IPv6 resolvers', { resolvers: ['2001:db8::53', '[2001:db8:0::53]:53'] }, 'resolvers', 'duplicate resolver'],
    ['hostname resolver', { resolvers: ['dns.google'] }, 'resolvers', 'is not an IP address'],
    ['resolver port 0', { resolvers: ['8.8.8.8:0'] }, 'resolvers', 'port must be from 1 to 65535'],
    ['empty resolver', { resolvers: [''] }, 'resolvers', 'empty resolver address'],
    ['bracketed IPv6 resolver without port', { resolvers: ['[::1]'] }, 'resolvers', 'is not an IP address or ip:port'],
    ['zone with an empty list', { zoneResolvers: { consul: [] } }, 'zoneResolvers', 'zone "consul" has no resolvers'],
    ['zone with a bad name', { zoneResolvers: { 'bad zone': ['1.1.1.1'] } }, 'zoneResolvers', 'zone "bad zone" is not a valid domain name'],
    ['zone with a bad resolver', { zoneResolvers: { consul: ['x'] } }, 'zoneResolvers', 'zone "consul": "x" is not an IP address'],
    ['zone equal to the mesos domain', { zoneResolvers: { mesos: ['1.1.1.1'] } }, 'zoneResolvers', 'zone "mesos" is the Mesos domain'],
    ['zone inside the mesos domain', { zoneResolvers: { 'dc.mesos': ['1.1.1.1'] } }, 'zoneResolvers', 'zone "dc.mesos" lies inside the Mesos domain "mesos"'],
    ['zone around the mesos domain', { domain: 'dc.mesos', zoneResolvers: { mesos: ['1.1.1.1'] } }, 'zoneResolvers', 'the Mesos domain "dc.mesos" lies inside zone "mesos"'],
    ['zone inside another zone', { zoneResolvers: { com: ['1.1.1.1'], 'abc.com': ['1.1.1.1'] } }, 'zoneResolvers', 'zone "abc.com" lies inside zone "com"'],
    ['two spellings of one zone', { zoneResolvers: { 'Consul.': ['1.1.1.1'], consul: ['1.1.1.1'] } }, 'zoneResolvers', 'zones "Consul." and "consul" are the same zone'],
    ['zoneResolvers not an object', { zoneResolvers: ['consul'] }, 'zoneResolvers', 'must be an object'],
    ['zone list not a list', { zoneResolvers: { consul: '1.1.1.1' } }, 'zoneResolvers', 'zone "consul": must be a list'],
    ['empty IPSources', { IPSources: [] }, 'IPSources', 'must not be empty'],
    ['duplicate IPSources', { IPSources: ['host', 'host'] }, 'IPSources', 'duplicate IP source "host"'],
    ['unknown IP source', { IPSources: ['rkt'] }, 'IPSources', 'invalid IP source "rkt"'],
    ['IP sources are case-sensitive', { IPSources: ['Host'] }, 'IPSources', 'invalid IP source "Host"'],
    ['stateTimeoutSeconds 0', { stateTimeoutSeconds: 0 }, 'stateTimeoutSeconds', 'must be an integer from 1'],
    ['domain with an underscore', { domain: 'bad_domain' }, 'domain', 'is not a valid domain name'],
    ['domain with a leading dot', { domain: '.mesos' }, 'domain', 'is not a valid domain name'],
    ['domain with a trailing dot', { domain: 'mesos.' }, 'domain', 'is not a valid domain name'],
    ['domain with a long label', { domain: `${'a'.repeat(64)}.mesos` }, 'domain', 'has a label longer than 63 characters'],
    ['SOAMname with an empty label', { SOAMname: 'ns1..mesos' }, 'SOAMname', 'has an empty label'],
    ['empty SOAMname', { SOAMname: '' }, 'SOAMname', 'must not be empty'],
    ['SOARname with a space', { SOARname: 'root admin@example.org' }, 'SOARname', 'printable ASCII without spaces'],
    ['CertFile without KeyFile', { CertFile: '/c.pem' }, 'KeyFile', 'CertFile and KeyFile must be given together'],
    ['KeyFile without CertFile', { keyFile: '/k.pem' }, 'CertFile', 'CertFile and KeyFile must be given together'],
    ['unknown auth mechanism', { mesosAuthentication: 'digest' }, 'mesosAuthentication', 'must be "", "basic" or "iam", got "digest"'],
    ['basic without credentials', { mesosAuthentication: 'basic' }, 'MesosCredentials', 'needs a principal or a secret'],
    ['iam without an account file', { mesosAuthentication: 'iam' }, 'IAMConfigFile', 'needs IAMConfigFile'],
    ['credentials not an object', { mesosCredentials: 'p:s' }, 'mesosCredentials', 'must be an object'],
    ['port 65536', { port: 65536 }, 'port', 'must be a port from 0 to 65535'],
    ['port -1', { port: -1 }, 'port', 'must be a port from 0 to 65535'],
    ['port as a string', { port: '53' }, 'port', 'must be a port from 0 to 65535 (0 = any free port), got "53"'],
    ['port not an integer', { port: 53.5 }, 'port', 'must be a port'],
    ['httpport 70000', { httpport: 70000 }, 'httpport', 'must be a port from 0 to 65535'],
    ['negative ttl', { ttl: -1 }, 'ttl', 'must be an integer from 0 to 2147483647'],
    ['ttl of 2^31', { ttl: 2 ** 31 }, 'ttl', 'must be an integer from 0 to 2147483647'],
    ['refreshSeconds 0', { refreshSeconds: 0 }, 'refreshSeconds', 'must be an integer from 1'],
    ['refreshSeconds past the timer limit', { refreshSeconds: 3_000_000 }, 'refreshSeconds', 'to 2147483 (seconds)'],
    ['negative zkDetectionTimeout', { zkDetectionTimeout: -1 }, 'zkDetectionTimeout', 'must be an integer from 0'],
    ['negative timeout', { timeout: -1 }, 'timeout', 'must be an integer from 0'],
    ['SRV weight 65536', { srvRecordDefaultWeight: 65536 }, 'srvRecordDefaultWeight', 'from 0 to 65535'],
    ['negative SOARefresh', { SOARefresh: -1 }, 'SOARefresh', 'from 0 to 4294967295'],
    ['SOARetry of 2^32', { SOARetry: 2 ** 32 }, 'SOARetry', 'from 0 to 4294967295'],
    ['hostname listener', { listener: 'localhost' }, 'listener', 'must be an IP address'],
    ['empty HTTPListener', { HTTPListener: '' }, 'HTTPListener', 'must be an IP address'],
    ['zk without a path', { zk: 'zk://10.0.0.1:2181' }, 'zk', 'the znode path is missing'],
    ['zk with another scheme', { zk: 'http://10.0.0.1:2181/mesos' }, 'zk', 'unsupported scheme "http://"'],
    ['zk with a bad port', { zk: 'zk://10.0.0.1:99999/mesos' }, 'zk', 'bad port "99999"'],
    ['zk with an empty server', { zk: 'zk://10.0.0.1:2181,/mesos' }, 'zk', 'empty ZooKeeper host'],
    ['zk with an IPv6 literal the client cannot reach', { zk: 'zk://[::1]:2181/mesos' }, 'zk', 'IPv6 literal'],
    ['boolean as a string', { dnson: 'yes' }, 'dnson', 'must be true or false, got "yes"'],
    ['string as a number', { domain: 5 }, 'domain', 'must be a string, got 5'],
    ['EDNSMaxUDPSize below 512', { EDNSMaxUDPSize: 511 }, 'EDNSMaxUDPSize', 'from 512 to 65535'],
    ['negative ForwardCacheSize', { ForwardCacheSize: -1 }, 'ForwardCacheSize', 'must be an integer from 0'],
    ['negative Workers', { workers: -1 }, 'workers', 'must be an integer from 0 to 1024'],
    ['negative UDPBufferBytes', { UDPBufferBytes: -1 }, 'UDPBufferBytes', 'must be an integer from 0'],
    ['StateMaxBytes below 1024', { stateMaxBytes: 1000 }, 'stateMaxBytes', 'must be an integer from 1024 to 1073741824 (bytes)'],
    ['StateMaxBytes over 1 GiB', { StateMaxBytes: 2 ** 30 + 1 }, 'StateMaxBytes', 'from 1024 to 1073741824'],
    ['negative ReadyMaxTableAgeSeconds', { readyMaxTableAgeSeconds: -1 }, 'readyMaxTableAgeSeconds', 'must be an integer from 0'],
    ['StateFile not a string', { StateFile: 5 }, 'StateFile', 'must be a string'],
    ['MesosHTTPSInsecure not a boolean', { MesosHTTPSInsecure: 'no' }, 'MesosHTTPSInsecure', 'must be true or false'],
    ['StreamOn not a boolean', { StreamOn: 1 }, 'StreamOn', 'must be true or false'],
    ['PtrOn not a boolean', { ptrOn: 'yes' }, 'ptrOn', 'must be true or false'],
    ['ReverseZones CIDR off an octet', { reverseZones: ['10.0.0.0/12'] }, 'reverseZones', 'the prefix must be a multiple of 8'],
    ['ReverseZones CIDR off a nibble', { ReverseZones: ['fd00::/10'] }, 'ReverseZones', 'the prefix must be a multiple of 4'],
    ['ReverseZones name outside .arpa', { ReverseZones: ['example.com'] }, 'ReverseZones', 'neither a CIDR nor a name under in-addr.arpa or ip6.arpa'],
    // One TXT character-string (RFC 1035 §3.3): 128 two-octet characters are 256 octets.
    ['Identity over 255 octets', { identity: 'é'.repeat(128) }, 'identity', 'at most 255 octets of UTF-8, got 256'],
    ['Identity not a string', { Identity: 7 }, 'Identity', 'must be a string'],
    ['TCPIOTimeoutMs of 0', { tcpIoTimeoutMs: 0 }, 'tcpIoTimeoutMs', 'from 1 to 2147483647 (milliseconds)'],
    ['TCPMaxConnections of 0', { TCPMaxConnections: 0 }, 'TCPMaxConnections', 'from 1 to 1000000'],
    ['negative TCPMaxClientConnections', { TCPMaxClientConnections: -1 }, 'TCPMaxClientConnections', 'from 0 to 1000000'],
    ['HTTPMaxConnections of 0', { httpMaxConnections: 0 }, 'httpMaxConnections', 'from 1 to 1000000'],
    ['HTTP headers timeout longer than the request timeout', { HTTPHeadersTimeoutMs: 5000, HTTPRequestTimeoutMs: 4000 }, 'HTTPHeadersTimeoutMs', 'must not exceed HTTPRequestTimeoutMs (4000), got 5000'],
    ['ForwardMaxFails above 100', { ForwardMaxFails: 101 }, 'ForwardMaxFails', 'from 0 to 100'],
    ['ForwardHealthCheckMs below 50', { forwardHealthCheckMs: 49 }, 'forwardHealthCheckMs', 'from 50 to 3600000'],
  ];
  it.each(cases)('%s', (_name, raw, key, reason) => {
    const errors = errorsOf(() => parse(withBase(raw)));
    expect(errors.map((e) => e.key)).toContain(key);
    const mine = errors.filter((e) => e.key === key);
    expect(mine.map((e) => e.reason).join('\n')).toContain(reason);
    for (const e of errors) expect(e).toBeInstanceOf(ConfigError);
  });

  it('collects every problem instead of stopping at the first', () => {
    const errors = errorsOf(() => parse({ masters: ['x'], port: 'fifty-three', IPSources: [], domain: 'a b' }));
    expect(errors.map((e) => e.key)).toEqual(['port', 'masters', 'IPSources', 'domain']);
  });

  it('names a credentials key as written and never echoes the secret', () => {
    const errors = errorsOf(() => parse({ ...BASE, MesosCredentials: { Secret: 424242 } }));
    expect(errors).toHaveLength(1);
    expect(errors[0].key).toBe('MesosCredentials.Secret');
    expect(errors[0].reason).toBe('must be a string, got number');
    expect(errors[0].message).not.toContain('424242');
  });

  const notObjects: unknown[] = [[], 'x', null, 5];
  it.each(notObjects)('rejects a file whose JSON is %j', (raw) => {
    const errors = errorsOf(() => parse(raw));
    expect(errors.map((e) => [e.key, e.reason.startsWith('must be a JSON object')])).toEqual([['config', true]]);
  });

  it('gives the error the message format ConfigError defines', () => {
    const errors = errorsOf(() => parse({ ...BASE, ttl: -1 }));
    expect(errors[0].message).toBe('config: ttl: must be an integer from 0 to 2147483647, got -1');
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

// A throwaway self-signed certificate and its key, made for these tests only.
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBjjCCATWgAwIBAgIUQffvCk7/+haiUGqhNrGjrpuTKdMwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRbWVzb3MtZG5zLXRzIHRlc3QwIBcNMjYxMTIzMTEzNDM5WhgP
MjEyNjEwMzAxMTM0MzlaMBwxGjAYBgNVBAMMEW1lc29zLWRucy10cyB0ZXN0MFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAErXyj+5+/D5miFa4wlKDwzAXJznA0PfT5
ZTJ/zRlaZ/hldAVaAbJD+vLWrkLgF03oHV6ZNj1d0SvG45FfCJnSMaNTMFEwHQYD
VR0OBBYEFKixBPhfqMoq4hXeVS7Cr1G6Mf20MB8GA1UdIwQYMBaAFKixBPhfqMoq
4hXeVS7Cr1G6Mf20MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIg
XJT1fvDkHxihKjDij1s89JFRm+lsbuyssn91pfaXPcMCIAVp8Ra/LPdG4OCNWc6s
NQ6jQLssoS3LH5W90GyakQp8
-----END CERTIFICATE-----
`;
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggPejbSl+9Hg/o4iL
2cSqYJvxo6XzXxEoz3ByxwTlEVihRANCAAStfKP7n78PmaIVrjCUoPDMBcnOcDQ9
9PllMn/NGVpn+GV0BVoBskP68tauQuAXTegdXpk2PV3RK8bjkV8ImdIx
-----END PRIVATE KEY-----
`;

describe('loadConfig on real files', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  const write = async (name: string, content: unknown) => {
    await writeFile(file(name), typeof content === 'string' ? content : JSON.stringify(content));
    return file(name);
  };
  const pem = (type: 'rsa' | 'ec'): string => {
    const { privateKey } =
      type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 1024 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mesos-dns-ts-config-'));
    await write('ca.pem', TEST_CERT);
    await write('key.pem', TEST_KEY);
    await write('other-key.pem', pem('ec'));
    await write('garbage.pem', 'not a certificate\n');
    await write('iam.json', { uid: 'svc', private_key: pem('rsa'), login_endpoint: 'https://master.mesos/acs/api/v1/auth/login' });
    await write('iam-missing.json', { uid: 'svc', private_key: pem('rsa') });
    await write('iam-ec.json', { uid: 'svc', private_key: pem('ec'), login_endpoint: 'https://m/login' });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file, makes File absolute and takes SOASerial from the clock', async () => {
    await write('config.json', { ...BASE, ttl: 7 });
    const { config: c, warnings } = await loadConfig('config.json', { cwd: () => dir, now: () => 42 });
    expect(c.File).toBe(file('config.json'));
    expect(c.TTL).toBe(7);
    expect(c.SOASerial).toBe(42);
    expect(warnings).toEqual([]);
  });

  it('expands a leading ~/ from HOME', async () => {
    await write('home.json', BASE);
    const { config: c } = await loadConfig('~/home.json', { env: { HOME: dir }, cwd: () => '/' });
    expect(c.File).toBe(file('home.json'));
  });

  it('falls back to USERPROFILE when HOME is unset, as mesos-dns does', async () => {
    await write('profile.json', BASE);
    const { config: c } = await loadConfig('~/profile.json', { env: { USERPROFILE: dir }, cwd: () => '/' });
    expect(c.File).toBe(file('profile.json'));
  });

  it('reports a missing file with its absolute path', async () => {
    const errors = await asyncErrorsOf(() => loadConfig(file('nope.json')));
    expect(errors.map((e) => [e.key, e.reason])).toEqual([['config', `missing configuration file: "${file('nope.json')}"`]]);
  });

  it('quotes the JSON parser on a malformed file', async () => {
    const text = '{"masters": ["127.0.0.1:5050"],, }';
    await write('bad.json', text);
    let parserMessage = '';
    try {
      JSON.parse(text);
    } catch (err) {
      parserMessage = (err as Error).message;
    }
    const errors = await asyncErrorsOf(() => loadConfig(file('bad.json')));
    expect(errors).toHaveLength(1);
    expect(errors[0].key).toBe('config');
    expect(errors[0].reason).toContain(file('bad.json'));
    expect(errors[0].reason).toContain(parserMessage);
  });

  it('passes validation errors through with the keys as written', async () => {
    await write('invalid.json', { masters: ['127.0.0.1:5050'], RefreshSeconds: 0 });
    const errors = await asyncErrorsOf(() => loadConfig(file('invalid.json')));
    expect(errors.map((e) => e.key)).toEqual(['RefreshSeconds']);
  });

  it('accepts a CA file holding a PEM certificate, and a matching client pair', async () => {
    await write('tls.json', { ...BASE, MesosHTTPSOn: true, CACertFile: file('ca.pem'), CertFile: file('ca.pem'), KeyFile: file('key.pem') });
    const { config: c } = await loadConfig(file('tls.json'));
    expect(c.CACertFile).toBe(file('ca.pem'));
  });

  const fileCases: [string, () => Record<string, unknown>, string, string][] = [
    ['a CA file without a certificate', () => ({ cacertfile: file('garbage.pem') }), 'cacertfile', 'holds no PEM certificate'],
    ['a missing CA file', () => ({ CACertFile: file('none.pem') }), 'CACertFile', 'cannot read'],
    ['a missing key file', () => ({ CertFile: file('ca.pem'), KeyFile: file('none.pem') }), 'KeyFile', 'cannot read'],
    ['a key that does not match the certificate', () => ({ CertFile: file('ca.pem'), KeyFile: file('other-key.pem') }), 'KeyFile', 'is not the key of the certificate'],
    ['a key file without a key', () => ({ CertFile: file('ca.pem'), KeyFile: file('ca.pem') }), 'KeyFile', 'holds no usable PEM private key'],
    ['a CertFile without a certificate', () => ({ CertFile: file('key.pem'), KeyFile: file('key.pem') }), 'CertFile', 'holds no PEM certificate'],
    ['an IAM file without login_endpoint', () => ({ mesosAuthentication: 'iam', IAMConfigFile: file('iam-missing.json') }), 'IAMConfigFile', '"login_endpoint" must be non-empty strings'],
    ['an IAM file with an EC key', () => ({ mesosAuthentication: 'iam', IAMConfigFile: file('iam-ec.json') }), 'IAMConfigFile', 'must be an RSA key'],
    ['an IAM file that is not JSON', () => ({ mesosAuthentication: 'iam', IAMConfigFile: file('garbage.pem') }), 'IAMConfigFile', 'not valid JSON'],
  ];
  it.each(fileCases)('rejects %s', async (_name, extra, key, reason) => {
    const name = `${key}-${reason.replace(/\W+/g, '-')}.json`;
    await write(name, { ...BASE, ...extra() });
    const errors = await asyncErrorsOf(() => loadConfig(file(name)));
    expect(errors.map((e) => e.key)).toEqual([key]);
    expect(errors[0].reason).toContain(reason);
  });

  it('accepts a complete IAM account file', async () => {
    await write('iam-ok.json', { ...BASE, mesosAuthentication: 'iam', IAMConfigFile: file('iam.json') });
    const { config: c } = await loadConfig(file('iam-ok.json'));
    expect(c.MesosAuthentication).toBe('iam');
  });

  it('reads resolv.conf and interface addresses only when resolvers is []', async () => {
    await write('resolv.conf', 'nameserver 10.1.1.1\nnameserver 192.0.2.7\n');
    await write('fill.json', { ...BASE, resolvers: [] });
    await write('nofill.json', BASE);
    const reads: string[] = [];
    let interfaceCalls = 0;
    const deps = {
      readFile: async (f: string) => {
        reads.push(f);
        return readFile(f, 'utf8');
      },
      resolvConfPath: file('resolv.conf'),
      networkInterfaces: () => {
        interfaceCalls++;
        return { eth0: [{ address: '192.0.2.7', netmask: '255.255.255.0', family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal: false, cidr: '192.0.2.7/24' }] };
      },
    };
    const filled = await loadConfig(file('fill.json'), deps);
    expect(filled.config.Resolvers).toEqual(['10.1.1.1']);
    expect(reads).toEqual([file('fill.json'), file('resolv.conf')]);
    expect(interfaceCalls).toBe(1);

    reads.length = 0;
    const plain = await loadConfig(file('nofill.json'), deps);
    expect(plain.config.Resolvers).toEqual(['8.8.8.8']);
    expect(reads).toEqual([file('nofill.json')]);
    expect(interfaceCalls).toBe(1);
  });

  it('names resolvers when resolv.conf cannot be read', async () => {
    await write('fill2.json', { ...BASE, Resolvers: [] });
    const errors = await asyncErrorsOf(() => loadConfig(file('fill2.json'), { resolvConfPath: file('no-resolv.conf') }));
    expect(errors.map((e) => e.key)).toEqual(['Resolvers']);
    expect(errors[0].reason).toContain('cannot be read');
  });
});

describe('config.example.json and docs/configuration.md', () => {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  // Set by the server, not by the file: listing them in the example would suggest they do something.
  const NOT_IN_FILE = new Set<keyof Config>(['SOASerial', 'File']);
  const fields = (Object.keys(RAW_DEFAULTS) as (keyof RawConfig)[]).filter((k) => !NOT_IN_FILE.has(k));

  it('lists every key with its default (masters aside) and parses without warnings', async () => {
    const example = JSON.parse(await readFile(path.join(root, 'config.example.json'), 'utf8')) as Record<string, unknown>;
    const byLower = new Map(Object.entries(example).map(([k, v]) => [k.toLowerCase(), v]));
    for (const field of fields) {
      expect([field, byLower.has(field.toLowerCase())]).toEqual([field, true]);
      if (field === 'Masters') continue;
      const value = byLower.get(field.toLowerCase());
      if (field === 'MesosCredentials') expect(value).toEqual({ principal: '', secret: '' });
      else expect([field, value]).toEqual([field, DEFAULTS[field]]);
    }
    expect(byLower.get('masters')).toEqual(['127.0.0.1:5050']);

    const loaded = await loadConfig(path.join(root, 'config.example.json'), { now: () => 1 });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config).toEqual(withTyped({ ...DEFAULTS, Masters: ['127.0.0.1:5050'], File: path.join(root, 'config.example.json'), SOASerial: 1 }));
  });

  it('documents every key', async () => {
    const doc = (await readFile(path.join(root, 'docs', 'configuration.md'), 'utf8')).toLowerCase();
    for (const field of fields) expect([field, doc.includes(`\`${field.toLowerCase()}\``)]).toEqual([field, true]);
  });
});
