// One parsed zone file -> one zone's plain data, after the checks that make it a zone. Pure.
//   - exactly one SOA, and its owner is the zone's apex (RFC 1035 §5.2, RFC 1034 §4.3.4);
//   - every owner at or below the apex: out-of-zone data is an error, not silently ignored;
//   - a CNAME owner holds nothing else (RFC 1034 §3.6.2, RFC 2181 §10.1), and one CNAME only;
//   - an RRset has one TTL (RFC 2181 §5.2): records that differ take the first one's (a warning);
//   - repeated records are one (RFC 2181 §5);
//   - NS at the apex: recommended (a warning without it; a zone is still served).
import { ZoneFileError } from '../errors.js';
import { QTYPE, rrTypeOf, type RData } from '../dns/wire/message.js';
import { rdataWire } from '../dns/wire/rdata-wire.js';
import type { ZoneRecord } from './zone-parser.js';
import { isInZone } from './zone-names.js';
import { typeName } from './rdata.js';

/** An RRset as it is stored and sent to the DNS workers (plain data: structured-clone safe). */
export interface RRsetData {
  /** Canonical absolute owner. */
  owner: string;
  type: number;
  ttl: number;
  rdata: RData[];
}

/** One static zone, plain. */
export interface ZoneData {
  /** Canonical apex ("example.com."). */
  apex: string;
  /** The file it was read from. */
  file: string;
  /** The SOA's own serial. */
  serial: number;
  /** Every RRset, in file order of their first record. */
  rrsets: RRsetData[];
}

export interface CheckedZone {
  zone: ZoneData;
  warnings: string[];
}

/**
 * A key equal for equal RDATA (names are canonical already): addresses and names as they are,
 * the rest by their wire form, which also proves the record can be sent.
 */
function rdataKey(r: ZoneRecord): string {
  const d = r.data;
  switch (d.type) {
    case QTYPE.A:
    case QTYPE.AAAA:
      return d.address;
    case QTYPE.CNAME:
    case QTYPE.NS:
    case QTYPE.PTR:
      return d.target;
    default: {
      const wire = rdataWire(d);
      if (wire === undefined) throw new ZoneFileError(r.file, r.line, 'the record cannot be put on the wire (a name or string too long)');
      return wire.toString('hex');
    }
  }
}

/** Builds the zone of `file`'s records; throws ZoneFileError naming the record's file and line. */
export function checkZone(file: string, records: readonly ZoneRecord[]): CheckedZone {
  const warnings: string[] = [];
  const soas = records.filter((r) => r.data.type === QTYPE.SOA);
  if (soas.length === 0) throw new ZoneFileError(file, 0, 'no SOA record: a zone file needs exactly one, at its apex');
  if (soas.length > 1) throw new ZoneFileError(soas[1].file, soas[1].line, `a second SOA record (the first is on line ${soas[0].line}): a zone has exactly one`);
  const soa = soas[0];
  const apex = soa.owner;
  const sets = new Map<string, RRsetData>();
  const seen = new Map<string, Set<string>>();
  const cnames = new Map<string, ZoneRecord>();
  const others = new Map<string, ZoneRecord>();
  for (const r of records) {
    if (!isInZone(r.owner, apex)) {
      throw new ZoneFileError(r.file, r.line, `${r.owner} is outside the zone ${apex} (the SOA's owner)`);
    }
    const type = rrTypeOf(r.data);
    const key = `${r.owner} ${type}`;
    let set = sets.get(key);
    if (set === undefined) {
      sets.set(key, (set = { owner: r.owner, type, ttl: r.ttl, rdata: [] }));
      seen.set(key, new Set());
    } else if (set.ttl !== r.ttl) {
      warnings.push(`${r.file}:${r.line}: TTL ${r.ttl} differs from its RRset's ${set.ttl} (${r.owner} ${typeName(type)}); using ${set.ttl} (RFC 2181 §5.2)`);
    }
    const id = rdataKey(r);
    const ids = seen.get(key) as Set<string>;
    if (ids.has(id)) continue;
    ids.add(id);
    set.rdata.push(r.data);
    if (r.data.type === QTYPE.CNAME) {
      const previous = cnames.get(r.owner);
      if (previous) throw new ZoneFileError(r.file, r.line, `a second CNAME for ${r.owner} (line ${previous.line}): an alias has one target`);
      cnames.set(r.owner, r);
    } else if (!others.has(r.owner)) {
      others.set(r.owner, r);
    }
  }
  for (const [owner, cname] of cnames) {
    const other = others.get(owner);
    if (other === undefined) continue;
    const [later, earlier] = other.line > cname.line || other.file !== cname.file ? [other, cname] : [cname, other];
    throw new ZoneFileError(
      later.file,
      later.line,
      `${owner} has a CNAME and other data (${typeName(rrTypeOf(other.data))}, line ${earlier === other ? other.line : cname.line}): an alias holds nothing else (RFC 1034 §3.6.2)`,
    );
  }
  if (!sets.has(`${apex} ${QTYPE.NS}`)) warnings.push(`${file}: the zone ${apex} has no NS records at its apex`);
  const serial = soa.data.type === QTYPE.SOA ? soa.data.serial : 0;
  return { zone: { apex, file, serial, rrsets: [...sets.values()] }, warnings };
}
