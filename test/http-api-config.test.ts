// The HTTP API's server endpoints: version, config, the enumeration switch and health.
import { describe, expect, it } from '@jest/globals';
import { redactConfig } from '../src/config/redact.js';
import { type Config } from '../src/config/typed.js';
import { handleAxfr, handleConfig, handleEnumerate, handleHealth, handleVersion } from '../src/http/api.js';
import { CONFIG, SNAPSHOT, TABLE, call, ctx, lines, snap } from './helpers/http-api.js';

describe('GET /v1/version', () => {
  it('has mesos-dns keys, sorted, and our version', () => {
    const r = call(handleVersion);
    expect(r).toEqual({
      status: 200,
      contentType: 'application/json',
      body: lines('{', '  "Service": "Mesos-DNS",', '  "URL": "https://github.com/mesosphere/mesos-dns",', '  "Version": "0.1.0"', ' }'),
    });
  });
});

describe('GET /v1/config', () => {
  const expected = (serial: number) =>
    lines(
      '{',
      '  "RefreshSeconds": 60,',
      '  "Port": 53,',
      '  "Timeout": 5,',
      '  "StateTimeoutSeconds": 300,',
      '  "ZkDetectionTimeout": 30,',
      '  "HttpPort": 8123,',
      '  "TTL": 60,',
      '  "SRVRecordDefaultWeight": 1,',
      `  "SOASerial": ${serial},`,
      '  "SOARefresh": 60,',
      '  "SOARetry": 600,',
      '  "SOAExpire": 86400,',
      '  "SOAMinttl": 60,',
      '  "SOAMname": "ns1.mesos.",',
      '  "SOARname": "root.ns1.mesos.",',
      '  "Masters": [',
      '   "10.0.0.1:5050"',
      '  ],',
      '  "ZoneResolvers": {',
      '   "a.corp": [',
      '    "10.2.2.2",',
      '    "10.2.2.3:5353"',
      '   ],',
      '   "z.corp": [',
      '    "10.1.1.1"',
      '   ]',
      '  },',
      '  "Resolvers": [',
      '   "8.8.8.8"',
      '  ],',
      '  "IPSources": [',
      '   "netinfo",',
      '   "mesos",',
      '   "host"',
      '  ],',
      '  "Zk": "",',
      '  "Domain": "mesos",',
      '  "File": "/etc/mesos-dns/config.json",',
      '  "Listener": "0.0.0.0",',
      '  "HTTPListener": "0.0.0.0",',
      '  "RecurseOn": true,',
      '  "DnsOn": true,',
      '  "HttpOn": true,',
      '  "ExternalOn": true,',
      '  "EnforceRFC952": false,',
      '  "SetTruncateBit": true,',
      '  "EnumerationOn": true,',
      '  "MesosHTTPSOn": false,',
      '  "CACertFile": "",',
      '  "CertFile": "",',
      '  "KeyFile": "",',
      '  "MesosCredentials": {',
      '   "Principal": "dns",',
      '   "Secret": "******"',
      '  },',
      '  "IAMConfigFile": "",',
      '  "MesosAuthentication": "basic",',
      '  "StateFile": "",',
      '  "MesosHTTPSInsecure": false,',
      '  "StreamOn": true,',
      '  "PtrOn": true,',
      '  "ReverseZones": [],',
      '  "ForwardCacheSize": 10000,',
      '  "Workers": 0,',
      '  "UDPBufferBytes": 4194304,',
      '  "UDPBatching": true,',
      '  "NativeStateReader": true,',
      '  "EDNSMaxUDPSize": 1232,',
      '  "Identity": "",',
      '  "RecurseFrom": [',
      '   "127.0.0.0/8",',
      '   "::1/128",',
      '   "10.0.0.0/8",',
      '   "172.16.0.0/12",',
      '   "192.168.0.0/16",',
      '   "100.64.0.0/10",',
      '   "169.254.0.0/16",',
      '   "fe80::/10",',
      '   "fc00::/7"',
      '  ],',
      '  "ResponseRateLimit": 0,',
      '  "ResponseRateLimitSlip": 2,',
      '  "ResponseRateLimitWindow": 1,',
      '  "ResponseRateLimitIPv4Prefix": 24,',
      '  "ResponseRateLimitIPv6Prefix": 56,',
      '  "ResponseRateLimitExempt": [],',
      '  "TCPIOTimeoutMs": 500,',
      '  "TCPIdleTimeoutMs": 10000,',
      '  "TCPMaxConnections": 1024,',
      '  "TCPMaxClientConnections": 16,',
      '  "HTTPMaxConnections": 256,',
      '  "HTTPHeadersTimeoutMs": 10000,',
      '  "HTTPRequestTimeoutMs": 30000,',
      '  "HTTPKeepAliveTimeoutMs": 5000,',
      '  "IPNetworks": [],',
      '  "AddressPolicy": "",',
      '  "DcosNames": false,',
      '  "ReadyMaxTableAgeSeconds": 0,',
      '  "StateMaxBytes": 268435456,',
      '  "ZonesDir": "zones",',
      '  "ForwardMaxFails": 2,',
      '  "ForwardHealthCheckMs": 500,',
      '  "AnswerOrder": "shuffle",',
      '  "AllowTransfer": [],',
      '  "Notify": [],',
      '  "TsigKeys": [],',
      '  "TransferTsigKey": "",',
      '  "SerialFile": "",',
      '  "IxfrJournalSize": 100,',
      '  "Primaries": [],',
      '  "SecondaryZones": [],',
      '  "HealthPolicy": "ignore"',
      ' }',
    );

  it('prints every field in declaration order, with the serial of the current table', () => {
    const r = call(handleConfig);
    expect(r.status).toBe(200);
    expect(r.body).toBe(expected(1700000000));
  });

  it('prints the configured serial before the first table', () => {
    expect(call(handleConfig, {}, null).body).toBe(expected(0));
  });

  it('keeps a redacted secret redacted and keeps the key order whatever the object order', () => {
    const shuffledKeys = Object.fromEntries(Object.entries(CONFIG).reverse()) as unknown as Config;
    const r = call(handleConfig, {}, SNAPSHOT, ctx({ config: redactConfig(shuffledKeys) }));
    expect(r.body).toBe(expected(1700000000));
    expect(r.body).not.toMatch(/"Secret": "[^*]/);
  });

  it('prints null Masters as null', () => {
    const r = call(handleConfig, {}, SNAPSHOT, ctx({ config: redactConfig({ ...CONFIG, Masters: null }) }));
    expect(r.body).toContain('\n  "Masters": null,\n');
  });
});

describe('enumeration endpoints', () => {
  const off = ctx({ config: redactConfig({ ...CONFIG, EnumerationOn: false }) });
  it.each([
    ['enumerate', handleEnumerate],
    ['axfr', handleAxfr],
  ] as const)('%s is 404 when EnumerationOn is false', (_name, handler) => {
    expect(call(handler, {}, SNAPSHOT, off)).toEqual({ status: 404, contentType: 'text/plain; charset=utf-8', body: '404: Page Not Found' });
    expect(call(handler, {}, null, off).status).toBe(404);
  });
  it.each([
    ['enumerate', handleEnumerate],
    ['axfr', handleAxfr],
  ] as const)('%s is 503 with a JSON error before the first table', (_name, handler) => {
    expect(call(handler, {}, null)).toEqual({ status: 503, contentType: 'application/json', body: lines('{', '  "error": "no state loaded yet"', ' }') });
  });
});

describe('GET /health', () => {
  it('is 503 before the first table and names generation and serial after', () => {
    expect(call(handleHealth, {}, null)).toEqual({
      status: 503,
      contentType: 'application/json',
      body: lines('{', '  "status": "unavailable",', '  "error": "no state loaded yet"', ' }'),
    });
    expect(call(handleHealth, {}, snap(TABLE, 4))).toEqual({
      status: 200,
      contentType: 'application/json',
      body: lines('{', '  "status": "ok",', '  "generation": 4,', '  "serial": 1700000000', ' }'),
    });
  });
});
