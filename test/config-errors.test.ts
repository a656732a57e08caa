// parseConfig on configurations it refuses: every problem is one ConfigError naming the key.
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../src/errors.js';
import { BASE, errorsOf, parse, withBase } from './helpers/config.js';

describe('parseConfig: every problem is an error naming the key and the reason', () => {
  // [description, config (merged over BASE; undefined removes a key), key named, reason substring]
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['dns and http both off', { dnson: false, httpon: false }, 'dnson', 'either the DNS or the HTTP server should be on'],
    ['AllowTransfer not a CIDR', { AllowTransfer: ['10.0.0.1'] }, 'AllowTransfer', 'is not a CIDR range'],
    ['Notify not an address', { Notify: ['secondary.example'] }, 'Notify', 'is not an IP address'],
    ['TsigKeys with another algorithm', { TsigKeys: ['hmac-md5:k:c2VjcmV0'] }, 'TsigKeys', 'only hmac-sha256'],
    ['TsigKeys without a secret', { TsigKeys: ['hmac-sha256:k'] }, 'TsigKeys', 'must be "hmac-sha256:name:base64secret"'],
    ['TsigKeys secret not base64', { TsigKeys: ['hmac-sha256:k:not base64!'] }, 'TsigKeys', 'is not base64'],
    ['TsigKeys twice', { TsigKeys: ['hmac-sha256:k:c2VjcmV0', 'hmac-sha256:K.:c2VjcmV0'] }, 'TsigKeys', 'is given twice'],
    ['TransferTsigKey not a key', { TransferTsigKey: 'missing' }, 'TransferTsigKey', 'is not a key of TsigKeys'],
    ['IxfrJournalSize negative', { IxfrJournalSize: -1 }, 'IxfrJournalSize', 'an integer from 0 to 100000'],
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
    ['ZonesDir not a string', { zonesDir: 5 }, 'zonesDir', 'must be a string'],
    ['ZonesDir with a NUL', { ZonesDir: 'zo\0nes' }, 'ZonesDir', 'must be a directory path (it contains a NUL character)'],
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
    ['AnswerOrder not one of the two', { answerOrder: 'random' }, 'answerOrder', 'must be "shuffle" or "round-robin", got "random"'],
    ['AnswerOrder not a string', { AnswerOrder: 1 }, 'AnswerOrder', 'must be a string'],
    ['HealthPolicy not one of the three', { healthPolicy: 'exclude' }, 'healthPolicy', 'must be "ignore", "exclude-unhealthy" or "only-healthy", got "exclude"'],
    ['HealthPolicy in another case', { HealthPolicy: 'Only-Healthy' }, 'HealthPolicy', 'got "Only-Healthy"'],
    ['HealthPolicy not a string', { HealthPolicy: false }, 'HealthPolicy', 'must be a string'],
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
