// The zone SOA that negative answers (NXDOMAIN, NODATA, RFC 2308 §3) carry in the authority
// section, encoded once per answer cache as bytes that fast-path.ts copies after any question.
// Its compression pointers are re-aimed per reply, either at the zone suffix of the query name
// or into the record itself; the encoder reports where they are (WireLayout), so nothing here
// reads its output back.
import type { Config } from '../../config/typed.js';
import type { RecordTable } from '../../records/table.js';
import { HEADER_LENGTH, TCP_MAX } from '../wire/constants.js';
import { encodeAnswerLaidOut } from '../wire/encode.js';
import type { WrittenName } from '../wire/layout.js';
import { QCLASS, QTYPE, type Query } from '../wire/message.js';
import { nameToWire, readName } from '../wire/name-wire.js';
import { lookup } from './lookup.js';
import { identityRandom } from './pre-encode.js';

/**
 * The negative-answer SOA as bytes that only depend on where the zone name sits in the query.
 * The encoder compresses case-sensitively, so the bytes also depend on how many of the zone's
 * trailing labels the query wrote in lower case: AnswerCache.negative has one tail per count.
 */
export interface NegativeTail {
  readonly bytes: Buffer;
  /** Positions in `bytes` of pointers to re-aim, and their offset from the zone name in the question. */
  readonly zonePointers: readonly (readonly [at: number, delta: number])[];
  /** Positions in `bytes` of pointers into the tail itself, and their offset from its start. */
  readonly tailPointers: readonly (readonly [at: number, delta: number])[];
}

/** Offsets of the labels of a wire name, root excluded. */
export function labelStarts(wire: Buffer): number[] {
  const out: number[] = [];
  for (let pos = 0; wire[pos] !== 0; pos += 1 + wire[pos]) out.push(pos);
  return out;
}

/** The labels directly before the zone in the SOA names under it (see AnswerCache.blockedLabels). */
export function blockedLabels(table: RecordTable, zoneWire: Buffer): Buffer[] {
  const blocked: Buffer[] = [];
  for (const name of [table.soa.mname, table.soa.rname]) {
    const wire = nameToWire(name.toLowerCase());
    const before = wire && labelBeforeSuffix(wire, zoneWire);
    if (before && !blocked.some((b) => b.equals(before))) blocked.push(before);
  }
  return blocked;
}

/**
 * Encodes a negative answer for a probe name directly under the zone, once for each count of
 * lower-case trailing zone labels (the others upper-cased), and keeps its authority section
 * with every compression pointer described relative to what it points at.
 */
export function negativeTails(
  table: RecordTable,
  zoneWire: Buffer,
  zoneLabels: readonly number[],
  blocked: readonly Buffer[],
  config: Config,
): NegativeTail[] | undefined {
  // A probe label that no SOA name has before the zone, so nothing compresses against it.
  let probe = 'x';
  while (blocked.some((b) => b.toString('latin1') === probe)) probe += 'x';
  const tails: NegativeTail[] = [];
  for (let lower = 0; lower <= zoneLabels.length; lower++) {
    const zone = Buffer.from(zoneWire);
    const upperEnd = lower === zoneLabels.length ? 0 : zoneLabels[zoneLabels.length - lower] ?? zone.length - 1;
    for (let i = 0; i < upperEnd; i++) if (zone[i] >= 0x61 && zone[i] <= 0x7a) zone[i] &= ~0x20;
    const probeWire = Buffer.concat([Buffer.from([probe.length]), Buffer.from(probe, 'latin1'), zone]);
    const tail = negativeTail(table, probeWire, zone.length, config);
    if (!tail) return undefined;
    tails.push(tail);
  }
  return tails;
}

function negativeTail(table: RecordTable, probeWire: Buffer, zoneLength: number, config: Config): NegativeTail | undefined {
  const name = readName(probeWire, 0);
  if (!name.ok) return undefined;
  const query: Query = { id: 0, opcode: 0, rd: false, cd: false, question: { name: name.name, type: QTYPE.TXT, class: QCLASS.IN } };
  const answer = lookup(table, query, { random: identityRandom, recurseOn: config.RecurseOn });
  if (answer.kind !== 'nxdomain' && answer.kind !== 'nodata') return undefined;
  const { wire, layout } = encodeAnswerLaidOut(query, answer, { maxSize: TCP_MAX, setTruncateBit: false, ednsUdpSize: config.EDNSMaxUDPSize });
  if (wire.readUInt16BE(6) !== 0 || wire.readUInt16BE(8) !== 1 || wire.readUInt16BE(10) !== 0) return undefined;
  const qnameEnd = HEADER_LENGTH + probeWire.length;
  const zoneAt = qnameEnd - zoneLength;
  const tailStart = qnameEnd + 4;
  const soa = layout.records[0];
  if (layout.questionEnd !== tailStart || soa === undefined || soa.type !== QTYPE.SOA || soa.names.length !== 3) return undefined;
  const bytes = Buffer.from(wire.subarray(tailStart));
  const zonePointers: Array<[number, number]> = [];
  const tailPointers: Array<[number, number]> = [];
  // The owner, MNAME and RNAME, each pointing (if at all) before where it starts.
  const note = (n: WrittenName): boolean => {
    if (n.pointer < 0) return true;
    const pointerAt = n.end - 2 - tailStart;
    if (n.pointer >= zoneAt && n.pointer < qnameEnd) zonePointers.push([pointerAt, n.pointer - zoneAt]);
    else if (n.pointer >= tailStart && n.pointer < n.at) tailPointers.push([pointerAt, n.pointer - tailStart]);
    else return false; // into the probe label or QTYPE/QCLASS: not a shape we can relocate
    return true;
  };
  if (!soa.names.every(note)) return undefined;
  return { bytes, zonePointers, tailPointers };
}

/** The label right before `suffix` in `wire` (lower-case wire names), if `wire` ends with it. */
function labelBeforeSuffix(wire: Buffer, suffix: Buffer): Buffer | undefined {
  if (wire.length <= suffix.length) return undefined;
  let pos = 0;
  let previous = -1;
  while (pos < wire.length - suffix.length) {
    previous = pos;
    pos += 1 + wire[pos];
  }
  if (pos !== wire.length - suffix.length || previous < 0) return undefined;
  if (!wire.subarray(pos).equals(suffix)) return undefined;
  return Buffer.from(wire.subarray(previous + 1, pos));
}
