// Builds a RecordTable by hand for DNS tests, independent of records/build-table.ts, from short
// record lines:
//   'leader.mesos. A 10.0.0.1'
//   'leader.mesos. AAAA fd01::1'
//   '_leader._tcp.mesos. SRV 0 1 5050 leader.mesos.'
// `existing` gets every owner and all its ancestors up to and including the apex, which is
// what makes empty non-terminals NODATA instead of NXDOMAIN (RFC 8020).
import type { NameRecords, RecordTable, SoaData, SrvRecord } from '../../src/records/table.js';

export interface TestTableOptions {
  /** Zone apex; default "mesos.". */
  zone?: string;
  /** Default 60. */
  ttl?: number;
  /** Default [soa.mname]. */
  ns?: string[];
  soa?: Partial<Omit<SoaData, 'zone'>>;
}

const absolute = (name: string): string => (name.endsWith('.') ? name : name + '.');

export function buildTestTable(lines: readonly string[], options: TestTableOptions = {}): RecordTable {
  const zone = absolute(options.zone ?? 'mesos.');
  const ttl = options.ttl ?? 60;
  const soa: SoaData = {
    zone,
    mname: 'ns1.mesos.',
    rname: 'root.ns1.mesos.',
    serial: 1,
    refresh: 60,
    retry: 600,
    expire: 86400,
    minimum: ttl,
    ...options.soa,
  };
  const mutable = new Map<string, { a: string[]; aaaa: string[]; srv: SrvRecord[] }>();
  const existing = new Set<string>([zone]);

  for (const line of lines) {
    const [rawOwner, type, ...rest] = line.trim().split(/\s+/);
    const owner = absolute(rawOwner);
    if (owner !== zone && !owner.endsWith('.' + zone)) throw new Error(`test table: ${owner} is outside ${zone}`);
    let records = mutable.get(owner);
    if (!records) {
      records = { a: [], aaaa: [], srv: [] };
      mutable.set(owner, records);
    }
    switch (type) {
      case 'A':
        if (!records.a.includes(rest[0])) records.a.push(rest[0]);
        break;
      case 'AAAA':
        if (!records.aaaa.includes(rest[0])) records.aaaa.push(rest[0]);
        break;
      case 'SRV': {
        const [priority, weight, port, target] = rest;
        const srv: SrvRecord = { priority: Number(priority), weight: Number(weight), port: Number(port), target: absolute(target) };
        if (!records.srv.some((s) => s.target === srv.target && s.port === srv.port)) records.srv.push(srv);
        break;
      }
      default:
        throw new Error(`test table: unsupported record line: ${line}`);
    }
    // The owner and every ancestor below the apex exist.
    for (let name = owner; name !== zone; name = name.slice(name.indexOf('.') + 1)) existing.add(name);
  }

  const names = new Map<string, NameRecords>();
  for (const [name, r] of mutable) names.set(name, Object.freeze({ a: Object.freeze(r.a), aaaa: Object.freeze(r.aaaa), srv: Object.freeze(r.srv) }));
  return Object.freeze({
    zone,
    ttl,
    soa: Object.freeze(soa),
    ns: Object.freeze(options.ns ?? [soa.mname]),
    names,
    existing,
    enumeration: null,
  });
}

