import { describe, expect, it } from '@jest/globals';
import { redactConfig } from '../src/config/redact.js';
import { DEFAULTS, type Config } from '../src/config/typed.js';
import type { Snapshot } from '../src/store.js';
import type { EnumerateFramework, NameRecords, RecordTable, SrvRecord } from '../src/records/table.js';
import {
  handleAxfr,
  handleConfig,
  handleEnumerate,
  handleHealth,
  handleHostPorts,
  handleHosts,
  handleServices,
  handleVersion,
  lookupName,
  type ApiContext,
  type ApiHandler,
  type RouteParams,
} from '../src/http/api.js';
import { JsonMap, compareCodePoints, marshalIndent, type JsonValue } from '../src/http/json.js';
import { JsonEncodeError } from '../src/errors.js';

// --- a small hand-built table ------------------------------------------------------------

const srv = (target: string, port: number): SrvRecord => ({ target, port, priority: 0, weight: 1 });
const rec = (r: Partial<NameRecords>): NameRecords => ({ a: r.a ?? [], aaaa: r.aaaa ?? [], srv: r.srv ?? [] });

function makeTable(names: Record<string, NameRecords>, enumeration: EnumerateFramework[] | null = null): RecordTable {
  return {
    zone: 'mesos.',
    ttl: 60,
    soa: { zone: 'mesos.', mname: 'ns1.mesos.', rname: 'root.ns1.mesos.', serial: 1700000000, refresh: 60, retry: 600, expire: 86400, minimum: 60 },
    ns: ['ns1.mesos.'],
    names: new Map(Object.entries(names)),
    existing: new Set(['mesos.', ...Object.keys(names)]),
    enumeration,
  };
}

const ENUMERATION: EnumerateFramework[] = [
  {
    name: 'marathon',
    tasks: [
      {
        name: 'web',
        id: 'web.123',
        records: [
          { name: 'web.marathon.mesos.', host: '10.0.0.5', rtype: 'A' },
          { name: '_web._tcp.marathon.mesos.', host: 'web.marathon.mesos.:31000', rtype: 'SRV' },
        ],
      },
      { name: 'web', id: 'web.456', records: null },
    ],
  },
  { name: 'idle', tasks: [] },
];

const TABLE = makeTable(
  {
    'leader.mesos.': rec({ a: ['10.0.0.1'] }),
    '_leader._tcp.mesos.': rec({ srv: [srv('leader.mesos.', 5050)] }),
    'web.marathon.mesos.': rec({ a: ['10.0.0.5', '10.0.0.6'], aaaa: ['fd00::5'] }),
    '_web._tcp.marathon.mesos.': rec({ srv: [srv('web.marathon.mesos.', 31000), srv('gone.marathon.mesos.', 31001)] }),
    'v6only.marathon.mesos.': rec({ aaaa: ['fd00::7'] }),
    '_v6only._tcp.marathon.mesos.': rec({ srv: [srv('v6only.marathon.mesos.', 8080)] }),
    // legacy unsanitised name: kept as generated, listed by axfr, never matched by a lookup
    'Upper.marathon.mesos.': rec({ a: ['10.0.0.9'] }),
  },
  ENUMERATION,
);

const snap = (table: RecordTable, generation = 1): Snapshot => Object.freeze({ table, generation });
const SNAPSHOT = snap(TABLE);

const CONFIG: Config = {
  ...DEFAULTS,
  Masters: ['10.0.0.1:5050'],
  ZoneResolvers: { 'z.corp': ['10.1.1.1'], 'a.corp': ['10.2.2.2', '10.2.2.3:5353'] },
  File: '/etc/mesos-dns/config.json',
  MesosAuthentication: 'basic',
  MesosCredentials: { Principal: 'dns', Secret: '******' },
};

/** random() = 0 makes the Fisher–Yates walk swap nothing: every group keeps table order. */
const ctx = (over: Partial<ApiContext> = {}): ApiContext => ({ config: redactConfig(CONFIG), version: '0.1.0', random: () => 0, ...over });

const lines = (...ls: string[]): string => ls.join('\n');

/** `null` stands for "no table loaded yet" (an undefined argument would take the default). */
function call(handler: ApiHandler, params: RouteParams = {}, snapshot: Snapshot | null = SNAPSHOT, c: ApiContext = ctx()) {
  return handler(snapshot ?? undefined, params, c);
}

// --- json.ts ---------------------------------------------------------------------------------

describe('marshalIndent (Go json.MarshalIndent(v, " ", " "))', () => {
  const cases: [string, JsonValue, string][] = [
    ['scalars', { s: 'x', n: 42, f: 1.5, big: 1e21, tiny: 1e-7, t: true, z: null }, lines('{', '  "s": "x",', '  "n": 42,', '  "f": 1.5,', '  "big": 1e+21,', '  "tiny": 1e-7,', '  "t": true,', '  "z": null', ' }')],
    ['empty containers stay on one line', { a: [], o: {}, m: new JsonMap([]) }, lines('{', '  "a": [],', '  "o": {},', '  "m": {}', ' }')],
    ['top-level empty array', [], '[]'],
    ['nesting adds one space per level', [{ k: [1, [2]] }], lines('[', '  {', '   "k": [', '    1,', '    [', '     2', '    ]', '   ]', '  }', ' ]')],
    ['map keys sorted bytewise (upper case first)', new JsonMap({ b: 1, a: 2, B: 3 }), lines('{', '  "B": 3,', '  "a": 2,', '  "b": 1', ' }')],
    ['struct keys keep their order', { b: 1, a: 2 }, lines('{', '  "b": 1,', '  "a": 2', ' }')],
    ['HTML-safe escapes', '<a href="x">&</a>', '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"'],
    ['control characters', 'a\nb\tc\rd\u0001e\bf\\', '"a\\nb\\tc\\rd\\u0001e\\u0008f\\\\"'],
    ['line separators', '\u2028\u2029', '"\\u2028\\u2029"'],
    ['non-ASCII passes through, lone surrogate becomes U+FFFD', 'é😀\ud800x', '"é😀\ufffdx"'],
    ['negative zero', -0, '-0'],
  ];
  it.each(cases)('%s', (_name, value, expected) => {
    expect(marshalIndent(value)).toBe(expected);
  });

  it('refuses what Go cannot encode', () => {
    expect(() => marshalIndent(Number.NaN)).toThrow(JsonEncodeError);
    expect(() => marshalIndent({ u: undefined as unknown as JsonValue })).toThrow(expect.objectContaining({ code: 'MDNS_ERR_JSON_ENCODE' }));
  });

  it('sorts by code point like Go compares UTF-8 bytes', () => {
    // U+FF5E (one UTF-16 unit) sorts before U+1F600 (a surrogate pair) in UTF-8 byte order
    expect(['😀', '～', 'a'].sort(compareCodePoints)).toEqual(['a', '～', '😀']);
  });
});

// --- api.ts ----------------------------------------------------------------------------------

describe('lookupName (mesos-dns cleanWild + lower-case + absolute)', () => {
  it.each([
    ['Web.Marathon.Mesos', 'web.marathon.mesos.'],
    ['web.marathon.mesos.', 'web.marathon.mesos.'],
    ['_web.*._tcp.*.marathon.mesos', '_web._tcp.marathon.mesos.'],
    ['*.mesos', '*.mesos.'],
    ['.*', '.'],
    ['', '.'],
  ])('%s -> %s', (param, expected) => {
    expect(lookupName(param)).toBe(expected);
  });
});

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
      '  "ForwardCacheSize": 10000,',
      '  "Workers": 0,',
      '  "UDPBufferBytes": 4194304,',
      '  "UDPBatching": true,',
      '  "NativeStateReader": true,',
      '  "EDNSMaxUDPSize": 1232,',
      '  "Identity": "",',
      '  "TCPIOTimeoutMs": 500,',
      '  "TCPIdleTimeoutMs": 10000,',
      '  "TCPMaxConnections": 1024,',
      '  "TCPMaxClientConnections": 16,',
      '  "HTTPMaxConnections": 256,',
      '  "HTTPHeadersTimeoutMs": 10000,',
      '  "HTTPRequestTimeoutMs": 30000,',
      '  "HTTPKeepAliveTimeoutMs": 5000,',
      '  "ReadyMaxTableAgeSeconds": 0,',
      '  "StateMaxBytes": 268435456,',
      '  "ForwardMaxFails": 2,',
      '  "ForwardHealthCheckMs": 500',
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

describe('GET /v1/hosts/{host}', () => {
  const hostsBody = (host: string, ips: string[]) =>
    lines('[', ips.map((ip) => lines('  {', `   "host": "${host}",`, `   "ip": "${ip}"`, '  }')).join(',\n'), ' ]');
  const notFound = lines('[', '  {', '   "host": "",', '   "ip": ""', '  }', ' ]');

  it.each<[string, string, string]>([
    ['A values then AAAA values', 'web.marathon.mesos', hostsBody('web.marathon.mesos.', ['10.0.0.5', '10.0.0.6', 'fd00::5'])],
    ['name normalised: case, wildcard text, trailing dot', 'WEB.*.Marathon.mesos.', hostsBody('web.marathon.mesos.', ['10.0.0.5', '10.0.0.6', 'fd00::5'])],
    ['AAAA only', 'v6only.marathon.mesos', hostsBody('v6only.marathon.mesos.', ['fd00::7'])],
    ['unknown name', 'nothing.mesos', notFound],
    ['a name with only SRV', '_leader._tcp.mesos', notFound],
    ['an upper-case owner never matches', 'Upper.marathon.mesos', notFound],
    ['an empty name', '.*', notFound],
  ])('%s', (_name, host, body) => {
    expect(call(handleHosts, { host })).toEqual({ status: 200, contentType: 'application/json', body });
  });

  it('shuffles within each group, never across them', () => {
    // random() near 1 makes the first step swap with the last element
    const r = call(handleHosts, { host: 'web.marathon.mesos' }, SNAPSHOT, ctx({ random: () => 0.999 }));
    const ips = (JSON.parse(r.body) as { ip: string }[]).map((x) => x.ip);
    expect(ips).toEqual(['10.0.0.6', '10.0.0.5', 'fd00::5']);
  });

  it('answers the not-found shape before the first table', () => {
    expect(call(handleHosts, { host: 'leader.mesos' }, null).body).toBe(notFound);
  });
});

describe('GET /v1/hosts/{host}/ports', () => {
  it('is not implemented, as in mesos-dns', () => {
    expect(call(handleHostPorts, { host: 'leader.mesos' })).toEqual({ status: 501, contentType: 'text/plain; charset=utf-8', body: 'To be implemented...' });
  });
});

describe('GET /v1/services/{service}', () => {
  const element = (service: string, host: string, ip: string, port: string) =>
    lines('  {', `   "service": "${service}",`, `   "host": "${host}",`, `   "ip": "${ip}",`, `   "port": "${port}"`, '  }');
  const notFound = lines('[', '  {', '   "service": "",', '   "host": "",', '   "ip": "",', '   "port": ""', '  }', ' ]');

  it.each<[string, string, string]>([
    [
      'one element per address family; targets without addresses skipped',
      '_web._tcp.marathon.mesos',
      lines('[', element('_web._tcp.marathon.mesos', 'web.marathon.mesos.', '10.0.0.5', '31000') + ',', element('_web._tcp.marathon.mesos', 'web.marathon.mesos.', 'fd00::5', '31000'), ' ]'),
    ],
    ['echoes the parameter exactly as given', '_LEADER._tcp.mesos.', lines('[', element('_LEADER._tcp.mesos.', 'leader.mesos.', '10.0.0.1', '5050'), ' ]')],
    ['AAAA-only target', '_v6only._tcp.marathon.mesos', lines('[', element('_v6only._tcp.marathon.mesos', 'v6only.marathon.mesos.', 'fd00::7', '8080'), ' ]')],
    ['unknown service', '_none._tcp.mesos', notFound],
    ['a name with only A records', 'leader.mesos', notFound],
  ])('%s', (_name, service, body) => {
    expect(call(handleServices, { service })).toEqual({ status: 200, contentType: 'application/json', body });
  });

  it('echoes wildcard text and escapes the echo like Go', () => {
    const odd = snap(makeTable({ '_a&b._tcp.mesos.': rec({ srv: [srv('leader.mesos.', 1)] }), 'leader.mesos.': rec({ a: ['10.0.0.1'] }) }));
    const r = call(handleServices, { service: '_A&B.*._tcp.mesos' }, odd);
    expect(r.body).toBe(lines('[', element('_A\\u0026B.*._tcp.mesos', 'leader.mesos.', '10.0.0.1', '1'), ' ]'));
  });

  it('answers the not-found shape before the first table', () => {
    expect(call(handleServices, { service: '_leader._tcp.mesos' }, null).body).toBe(notFound);
  });
});

describe('GET /v1/enumerate', () => {
  it('renders frameworks (tasks before name), null records, empty task lists', () => {
    const r = call(handleEnumerate);
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('application/json');
    expect(r.body).toBe(
      lines(
        '{',
        '  "frameworks": [',
        '   {',
        '    "tasks": [',
        '     {',
        '      "name": "web",',
        '      "id": "web.123",',
        '      "records": [',
        '       {',
        '        "name": "web.marathon.mesos.",',
        '        "host": "10.0.0.5",',
        '        "rtype": "A"',
        '       },',
        '       {',
        '        "name": "_web._tcp.marathon.mesos.",',
        '        "host": "web.marathon.mesos.:31000",',
        '        "rtype": "SRV"',
        '       }',
        '      ]',
        '     },',
        '     {',
        '      "name": "web",',
        '      "id": "web.456",',
        '      "records": null',
        '     }',
        '    ],',
        '    "name": "marathon"',
        '   },',
        '   {',
        '    "tasks": [],',
        '    "name": "idle"',
        '   }',
        '  ]',
        ' }',
      ),
    );
  });

  it('prints null frameworks when the state had none', () => {
    expect(call(handleEnumerate, {}, snap(makeTable({}, null))).body).toBe(lines('{', '  "frameworks": null', ' }'));
  });
});

describe('GET /v1/axfr', () => {
  it('lists every record under sorted names, SRV values as target:port', () => {
    const r = call(handleAxfr);
    expect(r.status).toBe(200);
    expect(r.body).toBe(
      lines(
        '{',
        '  "TTL": 60,',
        '  "Serial": 1700000000,',
        '  "RefreshSeconds": 60,',
        '  "Mname": "ns1.mesos.",',
        '  "Rname": "root.ns1.mesos.",',
        '  "Domain": "mesos",',
        '  "Records": {',
        '   "As": {',
        '    "Upper.marathon.mesos.": [',
        '     "10.0.0.9"',
        '    ],',
        '    "leader.mesos.": [',
        '     "10.0.0.1"',
        '    ],',
        '    "web.marathon.mesos.": [',
        '     "10.0.0.5",',
        '     "10.0.0.6"',
        '    ]',
        '   },',
        '   "AAAAs": {',
        '    "v6only.marathon.mesos.": [',
        '     "fd00::7"',
        '    ],',
        '    "web.marathon.mesos.": [',
        '     "fd00::5"',
        '    ]',
        '   },',
        '   "SRVs": {',
        '    "_leader._tcp.mesos.": [',
        '     "leader.mesos.:5050"',
        '    ],',
        '    "_v6only._tcp.marathon.mesos.": [',
        '     "v6only.marathon.mesos.:8080"',
        '    ],',
        '    "_web._tcp.marathon.mesos.": [',
        '     "web.marathon.mesos.:31000",',
        '     "gone.marathon.mesos.:31001"',
        '    ]',
        '   }',
        '  }',
        ' }',
      ),
    );
  });

  it('prints empty record sets as {}', () => {
    const body = call(handleAxfr, {}, snap(makeTable({}))).body;
    expect(body).toContain(lines('  "Records": {', '   "As": {},', '   "AAAAs": {},', '   "SRVs": {}', '  }'));
  });

  it('renders once per snapshot and anew for the next generation', () => {
    const names = new Map<string, NameRecords>([['a.mesos.', rec({ a: ['10.9.9.9'] })]]);
    const table: RecordTable = { ...makeTable({}), names };
    const first = snap(table, 7);
    const before = call(handleAxfr, {}, first).body;
    const enumBefore = call(handleEnumerate, {}, first).body;
    names.set('b.mesos.', rec({ a: ['10.8.8.8'] })); // never done to a real table: it shows the memo
    expect(call(handleAxfr, {}, first).body).toBe(before);
    expect(call(handleEnumerate, {}, first).body).toBe(enumBefore);
    const next = call(handleAxfr, {}, snap(table, 8)).body;
    expect(next).toContain('"b.mesos."');
    expect(before).not.toContain('"b.mesos."');
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
