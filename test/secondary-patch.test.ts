// An IXFR patched into the served table (secondary-patch.ts) must be what a full build of the new
// copy gives (secondary-table.ts): every name's records in order, the existing names (empty
// non-terminals come and go, RFC 8020), the counts. Random zones and random chains of changes.
import { describe, expect, it } from '@jest/globals';
import { QTYPE, type RData } from '../src/dns/wire/message.js';
import { firstDifference } from '../src/records/incremental/compare-tables.js';
import { countRecords } from '../src/records/record-counts.js';
import type { RecordTable } from '../src/records/table.js';
import type { Delta, WireRecord } from '../src/dns/xfr/secondary/read-transfer.js';
import { applyDeltas, copyOfZone, type ZoneCopy } from '../src/dns/xfr/secondary/zone-copy.js';
import { secondaryTable } from '../src/dns/xfr/secondary/secondary-table.js';
import { SecondaryPatcher } from '../src/dns/xfr/secondary/secondary-patch.js';
import { seededRandom } from './helpers/seeded-random.js';

const soa = (serial: number) => ({ owner: 'mesos.', ttl: 60, data: { type: QTYPE.SOA, mname: 'ns1.mesos.', rname: 'root.ns1.mesos.', serial, refresh: 60, retry: 60, expire: 600, minimum: 60 } }) as WireRecord & { data: Extract<RData, { type: typeof QTYPE.SOA }> };

function randomRecord(random: () => number): WireRecord {
  const fw = ['marathon', 'chronos', 'new-fw'][Math.floor(random() * 3)];
  const task = `t${Math.floor(random() * 12)}`;
  const kind = random();
  if (kind < 0.45) return { owner: `${task}.${fw}.mesos.`, ttl: 60, data: { type: QTYPE.A, address: `10.0.${Math.floor(random() * 3)}.${Math.floor(random() * 4)}` } };
  if (kind < 0.55) return { owner: `${task}.${fw}.mesos.`, ttl: 60, data: { type: QTYPE.AAAA, address: `fd00::${Math.floor(random() * 4)}` } };
  if (kind < 0.9) return { owner: `_${task}._tcp.${fw}.mesos.`, ttl: 60, data: { type: QTYPE.SRV, priority: 0, weight: Math.floor(random() * 2), port: 31000 + Math.floor(random() * 3), target: `${task}-x.${fw}.slave.mesos.` } };
  return { owner: `note.${fw}.mesos.`, ttl: 60, data: { type: GENERIC, rrtype: 16, bytes: new Uint8Array([1, 65]) } as RData };
}
const GENERIC = -1;

/** Records of `copy` as a list, to pick removals from. */
function recordsOf(copy: ZoneCopy): WireRecord[] {
  return [...copy.owners].flatMap(([owner, list]) => list.map((data) => ({ owner, ttl: 60, data })));
}

describe('SecondaryPatcher', () => {
  it.each(Array.from({ length: 16 }, (_, i) => i + 1))('patches agree with full builds (seed %i)', (seed) => {
    const random = seededRandom(seed);
    let copy = copyOfZone('mesos.', soa(1), [{ owner: 'mesos.', ttl: 60, data: { type: QTYPE.NS, target: 'ns1.mesos.' } }, ...Array.from({ length: 30 }, () => randomRecord(random))]);
    const base = secondaryTable(copy, [], 0).table;
    const patcher = new SecondaryPatcher(base, copy);
    let served: RecordTable = base;
    let patched = 0;
    for (let serial = 2; serial < 40; serial++) {
      const held = recordsOf(copy).filter((r) => r.owner !== 'mesos.');
      const removed = held.filter(() => random() < 0.15);
      const added = Array.from({ length: Math.floor(random() * 5) }, () => randomRecord(random));
      const delta: Delta = { from: serial - 1, to: serial, removed, added };
      const next = applyDeltas(copy, soa(serial), [delta]);
      const owners = new Set([...removed, ...added].map((r) => r.owner));
      const patch = patcher.patch(served, copy, next, owners);
      expect(patch).toBeDefined();
      const fresh = secondaryTable(next, [], 0).table;
      expect(firstDifference(patch!.table, fresh)).toBeUndefined();
      expect(patch!.table.names.size).toBe(fresh.names.size);
      expect(patch!.table.existing.size).toBe(fresh.existing.size);
      expect(countRecords(patch!.table)).toEqual(countRecords(fresh));
      expect(patch!.table.soa.serial).toBe(serial);
      served = patch!.table;
      copy = next;
      patched++;
    }
    expect(patched).toBe(38);
  });

  it('declines a change at the apex and a table it did not build', () => {
    const copy = copyOfZone('mesos.', soa(1), [{ owner: 'mesos.', ttl: 60, data: { type: QTYPE.NS, target: 'ns1.mesos.' } }]);
    const base = secondaryTable(copy, [], 0).table;
    const patcher = new SecondaryPatcher(base, copy);
    const next = applyDeltas(copy, soa(2), [{ from: 1, to: 2, removed: [], added: [{ owner: 'mesos.', ttl: 60, data: { type: QTYPE.NS, target: 'ns2.mesos.' } }] }]);
    expect(patcher.patch(base, copy, next, new Set(['mesos.']))).toBeUndefined();
    expect(patcher.patch(secondaryTable(copy, [], 0).table, copy, next, new Set(['a.mesos.']))).toBeUndefined();
  });
});

describe('SecondaryPatcher, reverse zones', () => {
  const rsoa = (serial: number) => ({ ...soa(serial), owner: '10.in-addr.arpa.' }) as ReturnType<typeof soa>;
  function randomPtr(random: () => number): WireRecord {
    const owner = `${Math.floor(random() * 4)}.${Math.floor(random() * 3)}.0.10.in-addr.arpa.`;
    return { owner, ttl: 60, data: { type: QTYPE.PTR, target: `t${Math.floor(random() * 5)}.marathon.mesos.` } };
  }
  const names = ['10.in-addr.arpa.', '0.10.in-addr.arpa.', '9.10.in-addr.arpa.', ...[0, 1, 2].flatMap((c) => [`${c}.0.10.in-addr.arpa.`, ...[0, 1, 2, 3].map((d) => `${d}.${c}.0.10.in-addr.arpa.`)])];

  it.each(Array.from({ length: 12 }, (_, i) => i + 1))('patches of a reverse zone agree with full builds (seed %i)', (seed) => {
    const random = seededRandom(seed);
    const mesos = copyOfZone('mesos.', soa(1), [{ owner: 'web.marathon.mesos.', ttl: 60, data: { type: QTYPE.A, address: '10.0.0.1' } }]);
    let copy = copyOfZone('10.in-addr.arpa.', rsoa(1), [{ owner: '10.in-addr.arpa.', ttl: 60, data: { type: QTYPE.NS, target: 'ns1.mesos.' } }, ...Array.from({ length: 8 }, () => randomPtr(random))]);
    const base = secondaryTable(mesos, [copy], 0).table;
    const patcher = new SecondaryPatcher(base, mesos, [copy]);
    let served: RecordTable = base;
    for (let serial = 2; serial < 30; serial++) {
      const held = recordsOf(copy).filter((r) => r.owner !== '10.in-addr.arpa.');
      const removed = held.filter(() => random() < 0.2);
      const added = Array.from({ length: Math.floor(random() * 4) }, () => randomPtr(random));
      const next = applyDeltas(copy, rsoa(serial), [{ from: serial - 1, to: serial, removed, added }]);
      const patch = patcher.patchReverse(served, copy, next, new Set([...removed, ...added].map((r) => r.owner)));
      expect(patch).toBeDefined();
      const fresh = secondaryTable(mesos, [next], 0).table.reverse!;
      const patched = patch!.table.reverse!;
      for (const name of names) {
        expect([name, patched.existing.has(name)]).toEqual([name, fresh.existing.has(name)]);
        expect([name, patched.ptr.get(name)]).toEqual([name, fresh.ptr.get(name)]);
      }
      expect(new Map(patched.ptr)).toEqual(new Map(fresh.ptr));
      expect(patched.serials.get('10.in-addr.arpa.')).toBe(serial);
      // The forward names are the served ones.
      expect([...patch!.table.names]).toEqual([...base.names]);
      expect(patch!.table.existing.size).toBe(base.existing.size);
      served = patch!.table;
      copy = next;
    }
  });

  it('declines a zone the base does not hold, and a change at its apex', () => {
    const mesos = copyOfZone('mesos.', soa(1), []);
    const copy = copyOfZone('10.in-addr.arpa.', rsoa(1), [{ owner: '1.0.0.10.in-addr.arpa.', ttl: 60, data: { type: QTYPE.PTR, target: 'a.mesos.' } }]);
    const next = applyDeltas(copy, rsoa(2), [{ from: 1, to: 2, removed: [], added: [{ owner: '10.in-addr.arpa.', ttl: 60, data: { type: QTYPE.NS, target: 'ns2.mesos.' } }] }]);
    const base = secondaryTable(mesos, [copy], 0).table;
    expect(new SecondaryPatcher(base, mesos, [copy]).patchReverse(base, copy, next, new Set(['10.in-addr.arpa.']))).toBeUndefined();
    const without = secondaryTable(mesos, [], 0).table;
    expect(new SecondaryPatcher(without, mesos, []).patchReverse(without, copy, next, new Set(['1.0.0.10.in-addr.arpa.']))).toBeUndefined();
  });
});
