// The full build's reverse table (PTRs) made from ids: the tasks' PTRs as the build logged them
// (reverse-ptrs.ts TaskPtrLog: IP id, canonical name id, task name id) and the forward table's
// packed names, straight into the packed form the lookups and the DNS workers read
// (packed-reverse.ts). The same owners, targets and order as reversePtrs() over TaskPtr strings
// (test/reverse-from-ids.test.ts compares the two), without a string per target: the targets'
// bytes are copied from the forward table's name blob, the addresses are grouped by IP id in an
// array instead of a Map of strings, and no per-address list is made. Pure, and its input is
// plain arrays (ReverseInput) taken before the forward table is finished, so that publish.ts can
// have another thread make it while this one finishes the forward table (workers/reverse-helper.ts).
import { KIND_A, KIND_AAAA, packStrings, stringAt, type StringBlob } from './packed-table.js';
import { indexStrings, packedReverseTable, share, type ReverseMessage } from './packed-reverse.js';
import { reverseOwnerNames } from './reverse-ptrs.js';
import { namesBetween, ownersInZones, type ReverseTable } from './reverse-table.js';
import { derivedV4Owners } from './reverse-owners.js';

/**
 * What the reverse table of a build is made from: plain arrays only, so that it can be handed to
 * another thread as it is (publish.ts runs it there while this one finishes the forward table).
 */
export interface ReverseInput {
  /** The tasks' PTRs as the build logged them (TaskPtrLog.entries: IP id, canonical id, name id). */
  tasks: Int32Array;
  /** (IP id, name id) per address of the agents', masters', frameworks' and self names, in reverseOwnerNames order (ownerAddresses). */
  owners: Int32Array;
  /** The forward table's names so far (every name `tasks` and `owners` hold): UTF-8 bytes and ends. */
  names: StringBlob;
  /** The IPs by id (the builder's list, canonical text). */
  ips: StringBlob;
  /** The `ReverseZones` config as zone names; empty: each address's own /24 or /64. */
  configuredZones: readonly string[];
}

export function reverseFromIds(input: ReverseInput): ReverseTable {
  return packedReverseTable(reverseMessageFromIds(input));
}

/**
 * The addresses whose PTRs name the agent, master, framework and self names (reverse-ptrs.ts 3.
 * and 4.), read from a build's log before it is finished: per name in reverseOwnerNames order,
 * its A addresses and then its AAAA addresses, each in the order first added, as the finished
 * table lists them (table-builder.ts finish keeps the first of each record per name).
 * `find` gives a name's id, -1 when it was never interned (it then owns nothing).
 */
export function ownerAddresses(log: Int32Array, nameCount: number, find: (name: string) => number, zone: string, frameworks: readonly string[], mname: string): Int32Array {
  // The names reverseOwnerNames may list (every masterN interned), with their addresses; `slot`
  // marks their ids (index + 1), so the pass over the log costs an array read per entry.
  const wanted: { a: Set<number>; aaaa: Set<number>; owns: boolean }[] = [];
  const slot = new Int32Array(nameCount);
  const want = (name: string): void => {
    const id = find(name);
    if (id >= 0 && slot[id] === 0) slot[id] = wanted.push({ a: new Set(), aaaa: new Set(), owns: false });
  };
  want(`slave.${zone}`);
  for (let n = 0; find(`master${n}.${zone}`) >= 0; n++) want(`master${n}.${zone}`);
  want(`leader.${zone}`);
  want(`master.${zone}`);
  for (const fw of frameworks) if (fw !== '') want(`${fw}.${zone}`);
  want(mname);
  for (let i = 0; i < log.length; i += 3) {
    const k = slot[log[i]];
    if (k === 0) continue;
    const w = wanted[k - 1];
    w.owns = true;
    const kind = log[i + 2];
    // A Set keeps the order added: the first of each address, as the finished table's records.
    if (kind === KIND_A) w.a.add(log[i + 1]);
    else if (kind === KIND_AAAA) w.aaaa.add(log[i + 1]);
  }
  // A name owns records (is in the finished table's `names`) when the log adds any under it.
  const owned = (name: string): { id: number; a: Set<number>; aaaa: Set<number> } | undefined => {
    const id = find(name);
    const w = id < 0 || slot[id] === 0 ? undefined : wanted[slot[id] - 1];
    return w?.owns === true ? { id, ...w } : undefined;
  };
  const out: number[] = [];
  for (const name of reverseOwnerNames({ has: (n) => owned(n) !== undefined }, zone, frameworks, mname)) {
    const w = owned(name);
    if (w === undefined) continue;
    for (const ip of w.a) out.push(ip, w.id);
    for (const ip of w.aaaa) out.push(ip, w.id);
  }
  return Int32Array.from(out);
}

/** The packed reverse table as the DNS workers get it (a ReverseMessage). Pure. */
export function reverseMessageFromIds(input: ReverseInput): ReverseMessage {
  const e = input.tasks;
  const n = e.length / 3;
  const nameBytes = input.names.bytes;
  const nameEnds = input.names.ends;
  const order = byCanonicalNames(e, n, input.names);

  // (address slot, target name id) pairs in the order reversePtrs adds them: every canonical
  // name, then every task name, then the agent, master, framework and self names.
  const slotOfIp = new Int32Array(input.ips.ends.length).fill(-1);
  const slotIps: number[] = [];
  let pairs = new Int32Array(2 * (2 * n + 64));
  let count = 0;
  const add = (ip: number, name: number): void => {
    let slot = slotOfIp[ip];
    if (slot < 0) {
      slot = slotOfIp[ip] = slotIps.length;
      slotIps.push(ip);
    }
    if (2 * count + 2 > pairs.length) {
      const bigger = new Int32Array(pairs.length * 2);
      bigger.set(pairs);
      pairs = bigger;
    }
    pairs[2 * count] = slot;
    pairs[2 * count + 1] = name;
    count++;
  };
  for (let i = 0; i < n; i++) add(e[3 * order[i]], e[3 * order[i] + 1]);
  for (let i = 0; i < n; i++) add(e[3 * order[i]], e[3 * order[i] + 2]);
  const named = input.owners;
  for (let i = 0; i < named.length; i += 2) add(named[i], named[i + 1]);

  // Grouped by slot, in the order added (a counting sort), a repeated name dropped per slot.
  const slots = slotIps.length;
  const start = new Int32Array(slots + 1);
  for (let i = 0; i < count; i++) start[pairs[2 * i] + 1]++;
  for (let s = 0; s < slots; s++) start[s + 1] += start[s];
  const fill = start.slice(0, slots);
  const grouped = new Int32Array(count);
  for (let i = 0; i < count; i++) grouped[fill[pairs[2 * i]]++] = pairs[2 * i + 1];
  const ends = new Int32Array(slots); // per slot, the end of its de-duplicated names in `grouped`
  for (let s = 0; s < slots; s++) {
    let out = start[s];
    for (let i = start[s]; i < start[s + 1]; i++) {
      const id = grouped[i];
      let k = start[s];
      while (k < out && grouped[k] !== id) k++;
      if (k === out) grouped[out++] = id;
    }
    ends[s] = out;
  }

  // The owners and zones: as bytes straight from the addresses' bytes in the usual case (derived
  // zones, IPv4 only: reverse-owners.ts), else through the addresses' and owners' strings.
  const v4 = input.configuredZones.length === 0 ? derivedV4Owners(input.ips, slotIps) : undefined;
  let zones: string[];
  let kept: number[];
  let ownerBlob: StringBlob;
  let ownerSlots: Int32Array;
  let between: string[];
  if (v4 !== undefined) {
    zones = v4.zones;
    kept = slotIps.map((_, s) => s);
    ownerBlob = v4.owners;
    ownerSlots = v4.slots;
    // Each owner's parent is its /24 zone: nothing exists between them (namesBetween's result).
    between = [...zones];
  } else {
    const ips: string[] = new Array<string>(slots);
    for (let s = 0; s < slots; s++) ips[s] = stringAt(input.ips, slotIps[s]);
    const made = ownersInZones(ips, input.configuredZones);
    zones = made.zones;
    kept = made.kept;
    ownerBlob = packStrings(made.owners);
    ownerSlots = indexStrings(ownerBlob);
    between = [...namesBetween({ zones, owners: made.owners })];
  }
  // The targets' bytes, copied from the forward table's blob.
  const targetEnds = new Int32Array(kept.length);
  let targetCount = 0;
  let byteCount = 0;
  for (let o = 0; o < kept.length; o++) {
    const s = kept[o];
    for (let i = start[s]; i < ends[s]; i++) {
      const id = grouped[i];
      byteCount += nameEnds[id] - (id === 0 ? 0 : nameEnds[id - 1]);
    }
    targetEnds[o] = targetCount += ends[s] - start[s];
  }
  const targetBytes = Buffer.allocUnsafeSlow(byteCount);
  const targetByteEnds = new Int32Array(targetCount);
  for (let o = 0, t = 0, at = 0; o < kept.length; o++) {
    const s = kept[o];
    for (let i = start[s]; i < ends[s]; i++) {
      const id = grouped[i];
      const from = id === 0 ? 0 : nameEnds[id - 1];
      const to = nameEnds[id];
      for (let b = from; b < to; b++) targetBytes[at++] = nameBytes[b];
      targetByteEnds[t++] = at;
    }
  }
  const packedPtrs = share({ owners: ownerBlob, slots: ownerSlots, targetEnds, targets: { bytes: targetBytes, ends: targetByteEnds } });
  // No plain form: the incremental table's reverse patcher makes it from the packed arrays when it starts.
  return { zones, between, packed: packedPtrs };
}

/**
 * The log's entries (TaskPtrLog: IP id, canonical id, name id) in the byte order of their
 * canonical names, ties in log order, as reversePtrs sorts the strings (UTF-8 byte order is code
 * point order, which is UTF-16's except between two non-ASCII characters, where the strings are
 * compared). One native sort with a comparator: rounds of three bytes sorted as numbers measured
 * slower on a first build (72 ms against 50 ms at 100,000 tasks).
 */
function byCanonicalNames(e: Int32Array, n: number, names: StringBlob): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => compareNames(e[3 * x + 1], e[3 * y + 1], names) || x - y);
  return order;
}

/** Names `a` and `b` of the blob in byte order, two non-ASCII bytes by the strings (see byCanonicalNames). */
function compareNames(a: number, b: number, names: StringBlob): number {
  if (a === b) return 0;
  const bytes = names.bytes;
  const ends = names.ends;
  const as = a === 0 ? 0 : ends[a - 1];
  const bs = b === 0 ? 0 : ends[b - 1];
  const al = ends[a] - as;
  const bl = ends[b] - bs;
  const len = Math.min(al, bl);
  for (let k = 0; k < len; k++) {
    const ca = bytes[as + k];
    const cb = bytes[bs + k];
    if (ca === cb) continue;
    if (ca < 0x80 || cb < 0x80) return ca - cb;
    return stringAt(names, a) < stringAt(names, b) ? -1 : 1;
  }
  return al - bl;
}
