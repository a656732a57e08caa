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
