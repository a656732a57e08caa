// Shared by the HTTP API tests (http-json, http-api-config, http-api-records): a small
// hand-built table, a config, and calling a handler on them.
import { NO_STATIC_ZONES } from '../../src/zones/static-zones.js';
import { redactConfig } from '../../src/config/redact.js';
import { DEFAULTS, type Config } from '../../src/config/typed.js';
import type { Snapshot } from '../../src/store.js';
import type { EnumerateFramework, NameRecords, RecordTable, SrvRecord } from '../../src/records/table.js';
import { type ApiContext, type ApiHandler, type RouteParams } from '../../src/http/api.js';

// --- a small hand-built table ------------------------------------------------------------

export const srv = (target: string, port: number): SrvRecord => ({ target, port, priority: 0, weight: 1 });
export const rec = (r: Partial<NameRecords>): NameRecords => ({ a: r.a ?? [], aaaa: r.aaaa ?? [], srv: r.srv ?? [] });

export function makeTable(names: Record<string, NameRecords>, enumeration: EnumerateFramework[] | null = null): RecordTable {
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

export const ENUMERATION: EnumerateFramework[] = [
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

export const TABLE = makeTable(
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

export const snap = (table: RecordTable, generation = 1): Snapshot => Object.freeze({ table, zones: NO_STATIC_ZONES, generation });
export const SNAPSHOT = snap(TABLE);

export const CONFIG: Config = {
  ...DEFAULTS,
  Masters: ['10.0.0.1:5050'],
  ZoneResolvers: { 'z.corp': ['10.1.1.1'], 'a.corp': ['10.2.2.2', '10.2.2.3:5353'] },
  File: '/etc/mesos-dns/config.json',
  MesosAuthentication: 'basic',
  MesosCredentials: { Principal: 'dns', Secret: '******' },
};

/** random() = 0 makes the Fisher–Yates walk swap nothing: every group keeps table order. */
export const ctx = (over: Partial<ApiContext> = {}): ApiContext => ({ config: redactConfig(CONFIG), version: '0.1.0', random: () => 0, ...over });

export const lines = (...ls: string[]): string => ls.join('\n');

/** `null` stands for "no table loaded yet" (an undefined argument would take the default). */
export function call(handler: ApiHandler, params: RouteParams = {}, snapshot: Snapshot | null = SNAPSHOT, c: ApiContext = ctx()) {
  return handler(snapshot ?? undefined, params, c);
}
