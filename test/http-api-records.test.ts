// The HTTP API's record endpoints: hosts, services, enumerate and axfr.
import { describe, expect, it } from '@jest/globals';
import type { NameRecords, RecordTable } from '../src/records/table.js';
import { handleAxfr, handleEnumerate, handleHostPorts, handleHosts, handleServices } from '../src/http/api.js';
import { SNAPSHOT, call, ctx, lines, makeTable, rec, snap, srv } from './helpers/http-api.js';

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
