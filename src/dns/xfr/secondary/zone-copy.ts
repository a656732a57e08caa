// A secondary's copy of one zone: the primary's SOA and every other record, by owner. Made from
// a whole-zone transfer, or from the previous copy and an IXFR's changes (RFC 1995 §4), always as
// a new value (the one being served is never changed). Pure.
import { TransferInError } from '../../../errors.js';
import { QTYPE, type RData } from '../../wire/message.js';
import { serialGreater } from '../serial.js';
import { recordKey } from '../zones.js';
import type { Delta, WireRecord } from './read-transfer.js';

type SoaRData = Extract<RData, { type: typeof QTYPE.SOA }>;

export interface ZoneCopy {
  /** Absolute, lower-case. */
  readonly apex: string;
  readonly soa: SoaRData;
  /** The SOA record's TTL: what the table gives every record of the zone. */
  readonly ttl: number;
  /**
   * Owner -> its records, each once, in the order they came. Arrays rather than maps keyed by
   * record text: a copy holds every record of the zone (1.2 million at 100,000 tasks), and a map
   * and a key string per record cost more than the records (docs/performance.md).
   */
  readonly owners: ReadonlyMap<string, readonly RData[]>;
  /** Records outside the zone that the transfer carried and the copy left out (RFC 5936 §3.3 ignores them). */
  readonly outside: number;
}

const inZone = (owner: string, apex: string): boolean => owner === apex || owner.endsWith(`.${apex}`);

/** A copy from a whole zone (`records` without the opening and closing SOA). */
export function copyOfZone(apex: string, soa: WireRecord & { data: SoaRData }, records: readonly WireRecord[]): ZoneCopy {
  const owners = new Map<string, RData[]>();
  // Repeats are dropped (RFC 2181 §5: an RRset holds each record once); the keys live only here.
  const seen = new Set<string>();
  let outside = 0;
  for (const r of records) {
    if (!inZone(r.owner, apex)) {
      outside++;
      continue;
    }
    // A second SOA at the apex inside the zone would not be a zone (RFC 1035 §5.2).
    if (r.data.type === QTYPE.SOA) throw new TransferInError('malformed', `an SOA record at ${r.owner} inside the zone ${apex}`);
    const key = `${r.owner} ${recordKey(r.data)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let list = owners.get(r.owner);
    if (list === undefined) owners.set(r.owner, (list = []));
    list.push(r.data);
  }
  return Object.freeze({ apex, soa: soa.data, ttl: soa.ttl, owners, outside });
}

/** Where `data` is in `list` (the same type and RDATA, names compared case-insensitively), or -1. */
function indexOf(list: readonly RData[], data: RData): number {
  const key = recordKey(data);
  for (let i = 0; i < list.length; i++) if (list[i].type === data.type && recordKey(list[i]) === key) return i;
  return -1;
}

/**
 * `copy` with the changes applied, oldest first. Each must start where the previous ended (the
 * first at the copy's serial) and go forward (RFC 1982), and each record removed must be there:
 * otherwise the changes do not describe this copy and the caller asks for the whole zone.
 */
export function applyDeltas(copy: ZoneCopy, soa: WireRecord & { data: SoaRData }, deltas: readonly Delta[]): ZoneCopy {
  const owners = new Map(copy.owners);
  const copied = new Set<string>();
  // The served copy is never changed: an owner's list is copied the first time a change touches it.
  const listOf = (owner: string): RData[] => {
    let list = owners.get(owner) as RData[] | undefined;
    if (list === undefined || !copied.has(owner)) {
      list = [...(list ?? [])];
      owners.set(owner, list);
      copied.add(owner);
    }
    return list;
  };
  let serial = copy.soa.serial;
  for (const d of deltas) {
    if (d.from !== serial) throw new TransferInError('malformed', `an IXFR change from serial ${d.from} where the copy is at ${serial}`);
    if (!serialGreater(d.to, d.from)) throw new TransferInError('stale_serial', `an IXFR change from serial ${d.from} to ${d.to} does not go forward`);
    for (const r of d.removed) {
      if (!inZone(r.owner, copy.apex)) continue;
      const list = listOf(r.owner);
      const at = indexOf(list, r.data);
      if (at < 0) throw new TransferInError('malformed', `IXFR removes a record the copy does not hold: ${r.owner} type ${r.data.type}`);
      list.splice(at, 1);
    }
    for (const r of d.added) {
      if (!inZone(r.owner, copy.apex) || r.data.type === QTYPE.SOA) continue;
      const list = listOf(r.owner);
      // Adding a record held already changes nothing (RFC 1995 §4 sends sets of changes).
      if (indexOf(list, r.data) < 0) list.push(r.data);
    }
    serial = d.to;
  }
  if (serial !== soa.data.serial) throw new TransferInError('malformed', `IXFR changes end at serial ${serial}, not at the zone's ${soa.data.serial}`);
  for (const owner of copied) if (owners.get(owner)?.length === 0) owners.delete(owner);
  return Object.freeze({ apex: copy.apex, soa: soa.data, ttl: soa.ttl, owners, outside: copy.outside });
}
