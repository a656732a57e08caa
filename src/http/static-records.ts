// /v1/hosts and /v1/services for names in static zones (docs/static-zones.md): the addresses and
// SRV records are taken from the same lookup DNS answers with (dns/answer/static-lookup.ts), so
// CNAMEs (into the Mesos domain too) and wildcards give the same results over HTTP as over DNS.
// Pure.
import { chaseIntoTable, lookupStatic } from '../dns/answer/static-lookup.js';
import { QCLASS, QTYPE, type RData } from '../dns/wire/message.js';
import type { Snapshot } from '../store.js';
import { zoneFor } from '../zones/static-zones.js';

/** The RDATA of `type` that a DNS query for canonical `name` gets, or undefined when no static zone holds the name. */
function answered(snapshot: Snapshot, name: string, type: number): RData[] | undefined {
  const zone = zoneFor(snapshot.zones, name);
  if (zone === undefined) return undefined;
  const question = { name: name === '.' ? '' : name.slice(0, -1), type, class: QCLASS.IN };
  const query = { id: 0, opcode: 0, rd: false, cd: false, question };
  const opts = { random: () => 0, recurseOn: false, fullAny: true };
  const answer = lookupStatic(snapshot.zones, query, zone.apex, { ...opts, chase: chaseIntoTable(snapshot.table, query, opts) });
  return answer.answer.filter((rr) => rr.data.type === type).map((rr) => rr.data);
}

/** A then AAAA addresses of `name` in a static zone, in answer order; undefined when not in one. */
export function staticAddresses(snapshot: Snapshot, name: string): { a: string[]; aaaa: string[] } | undefined {
  const a = answered(snapshot, name, QTYPE.A);
  if (a === undefined) return undefined;
  const aaaa = answered(snapshot, name, QTYPE.AAAA) ?? [];
  const address = (d: RData) => ('address' in d ? d.address : '');
  return { a: a.map(address), aaaa: aaaa.map(address) };
}

/** The SRV records of `name` in a static zone; undefined when not in one. */
export function staticServices(snapshot: Snapshot, name: string): { target: string; port: number }[] | undefined {
  const srv = answered(snapshot, name, QTYPE.SRV);
  return srv?.flatMap((d) => (d.type === QTYPE.SRV ? [{ target: d.target, port: d.port }] : []));
}
