// The full build's reverse table (PTRs) made from ids: the tasks' PTRs as the build logged them
// (reverse-ptrs.ts TaskPtrLog: IP id, canonical name id, task name id) and the forward table's
// packed names, straight into the packed form the lookups and the DNS workers read
// (packed-reverse.ts). The same owners, targets and order as reversePtrs() over TaskPtr strings
// (test/reverse-from-ids.test.ts compares the two), without a string per target: the targets'
// bytes are copied from the forward table's name blob, the addresses are grouped by IP id in an
// array instead of a Map of strings, and no per-address list is made. Pure.
import { findName, stringAt, type PackedTable } from './packed-table.js';
import { indexStrings, packedReverseTable, share } from './packed-reverse.js';
import { reverseOwnerNames, type TaskPtrLog } from './reverse-ptrs.js';
import { namesBetween, ownersInZones, type ReverseTable } from './reverse-table.js';
import type { NameRecords } from './table.js';
import { packStrings } from './packed-table.js';

/**
 * `names` is the forward table over `packed`; `ipId` gives an address's id in `packed.ips` (the
 * builder's: every address the forward names hold has one).
 */
export function reverseFromIds(
  log: TaskPtrLog,
  packed: PackedTable,
  names: ReadonlyMap<string, NameRecords>,
  ipId: (text: string) => number,
  zone: string,
  frameworks: readonly string[],
  mname: string,
  configuredZones: readonly string[],
): ReverseTable {
  const e = log.entries;
  const n = log.length;
  const nameBytes = packed.names.bytes;
  const nameEnds = packed.names.ends;
  // Tasks by their canonical names in byte order (as reversePtrs sorts the strings; UTF-8 byte
  // order is code point order, which is UTF-16's except between two non-ASCII characters, where
  // the strings are compared), ties in log order.
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => {
    const a = e[3 * x + 1];
    const b = e[3 * y + 1];
    if (a !== b) {
      const as = a === 0 ? 0 : nameEnds[a - 1];
      const bs = b === 0 ? 0 : nameEnds[b - 1];
      const al = nameEnds[a] - as;
      const bl = nameEnds[b] - bs;
      const len = Math.min(al, bl);
      for (let k = 0; k < len; k++) {
        const ca = nameBytes[as + k];
        const cb = nameBytes[bs + k];
        if (ca === cb) continue;
        if (ca < 0x80 || cb < 0x80) return ca - cb;
        const sa = stringAt(packed.names, a);
        const sb = stringAt(packed.names, b);
        return sa < sb ? -1 : 1;
      }
      if (al !== bl) return al - bl;
    }
    return x - y;
  });

  // (address slot, target name id) pairs in the order reversePtrs adds them: every canonical
  // name, then every task name, then the agent, master, framework and self names.
  const slotOfIp = new Int32Array(packed.ips.ends.length).fill(-1);
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
  for (const owner of reverseOwnerNames(names, zone, frameworks, mname)) {
    const records = names.get(owner);
    if (records === undefined) continue;
    const id = findName(packed, owner); // an owner with records has an id
    for (const ip of records.a) add(ipId(ip), id);
    for (const ip of records.aaaa) add(ipId(ip), id);
  }

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

  const ips: string[] = new Array<string>(slots);
  for (let s = 0; s < slots; s++) ips[s] = stringAt(packed.ips, slotIps[s]);
  const { zones, owners, kept } = ownersInZones(ips, configuredZones);
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
  const ownerBlob = packStrings(owners);
  const packedPtrs = share({ owners: ownerBlob, slots: indexStrings(ownerBlob), targetEnds, targets: { bytes: targetBytes, ends: targetByteEnds } });
  // No plain form: the incremental table's reverse patcher makes it from the packed arrays when it starts.
  return packedReverseTable({ zones, between: [...namesBetween({ zones, owners })], packed: packedPtrs });
}
