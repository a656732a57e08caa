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
  /** Owner -> its records by recordKey, in the order they came. */
  readonly owners: ReadonlyMap<string, ReadonlyMap<string, RData>>;
  /** Records outside the zone that the transfer carried and the copy left out (RFC 5936 §3.3 ignores them). */
  readonly outside: number;
}

const inZone = (owner: string, apex: string): boolean => owner === apex || owner.endsWith(`.${apex}`);

/** A copy from a whole zone (`records` without the opening and closing SOA). */
export function copyOfZone(apex: string, soa: WireRecord & { data: SoaRData }, records: readonly WireRecord[]): ZoneCopy {
  const owners = new Map<string, Map<string, RData>>();
  let outside = 0;
  for (const r of records) {
    if (!inZone(r.owner, apex)) {
      outside++;
      continue;
    }
    // A second SOA at the apex inside the zone would not be a zone (RFC 1035 §5.2).
    if (r.data.type === QTYPE.SOA) throw new TransferInError('malformed', `an SOA record at ${r.owner} inside the zone ${apex}`);
    let set = owners.get(r.owner);
    if (set === undefined) owners.set(r.owner, (set = new Map()));
    set.set(recordKey(r.data), r.data);
  }
  return Object.freeze({ apex, soa: soa.data, ttl: soa.ttl, owners, outside });
}

/**
 * `copy` with the changes applied, oldest first. Each must start where the previous ended (the
 * first at the copy's serial) and go forward (RFC 1982), and each record removed must be there:
 * otherwise the changes do not describe this copy and the caller asks for the whole zone.
 */
export function applyDeltas(copy: ZoneCopy, soa: WireRecord & { data: SoaRData }, deltas: readonly Delta[]): ZoneCopy {
  const owners = new Map(copy.owners);
  const copied = new Set<string>();
  const setOf = (owner: string): Map<string, RData> => {
    let set = owners.get(owner) as Map<string, RData> | undefined;
    if (set === undefined || !copied.has(owner)) {
      set = new Map(set ?? []);
      owners.set(owner, set);
      copied.add(owner);
    }
    return set;
  };
  let serial = copy.soa.serial;
  for (const d of deltas) {
    if (d.from !== serial) throw new TransferInError('malformed', `an IXFR change from serial ${d.from} where the copy is at ${serial}`);
    if (!serialGreater(d.to, d.from)) throw new TransferInError('stale_serial', `an IXFR change from serial ${d.from} to ${d.to} does not go forward`);
    for (const r of d.removed) {
      if (!inZone(r.owner, copy.apex)) continue;
      const set = setOf(r.owner);
      if (!set.delete(recordKey(r.data))) throw new TransferInError('malformed', `IXFR removes a record the copy does not hold: ${r.owner} type ${r.data.type}`);
    }
    for (const r of d.added) {
      if (!inZone(r.owner, copy.apex) || r.data.type === QTYPE.SOA) continue;
      setOf(r.owner).set(recordKey(r.data), r.data);
    }
    serial = d.to;
  }
  if (serial !== soa.data.serial) throw new TransferInError('malformed', `IXFR changes end at serial ${serial}, not at the zone's ${soa.data.serial}`);
  for (const owner of copied) if (owners.get(owner)?.size === 0) owners.delete(owner);
  return Object.freeze({ apex: copy.apex, soa: soa.data, ttl: soa.ttl, owners, outside: copy.outside });
}
