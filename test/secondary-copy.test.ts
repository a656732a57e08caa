// The secondary's packed zone copy (packed-zone.ts, zone-copy.ts) and the wire reader that fills
// it (read-zone-records.ts): a whole zone read from real transfer messages (our encoder's, names
// compressed, split over messages) gives the same copy as the general reader (one WireRecord per
// record) for every kind of record and name it may meet; and a copy with many changes is packed
// again with the same records.
import { describe, expect, it } from '@jest/globals';
import { QCLASS, QTYPE, type RData, type ResourceRecord } from '../src/dns/wire/message.js';
import { transferMessages } from '../src/dns/xfr/messages.js';
import { readMessage, scanTransferMessage, TransferAssembler, type WireRecord } from '../src/dns/xfr/secondary/read-transfer.js';
import { applyDeltas, COMPACT_AT, copyOfRecords, copyOfZone, type ZoneCopy } from '../src/dns/xfr/secondary/zone-copy.js';

const SOA = { type: QTYPE.SOA, mname: 'ns1.mesos.', rname: 'root.ns1.mesos.', serial: 7, refresh: 60, retry: 60, expire: 600, minimum: 60 } as const;
const soa = (serial: number) => ({ owner: 'mesos.', ttl: 60, data: { ...SOA, serial } }) as WireRecord & { data: Extract<RData, { type: typeof QTYPE.SOA }> };

function messages(records: ResourceRecord[], maxSize: number): Buffer[] {
  const all = [{ name: 'mesos.', ttl: 60, data: SOA }, ...records, { name: 'mesos.', ttl: 60, data: SOA }];
  return [...transferMessages({ id: 1, rd: false }, { name: 'mesos', type: QTYPE.AXFR, class: QCLASS.IN }, all, maxSize)].map((m) => {
    m[2] |= 0x80;
    return m;
  });
}

/** The copy the client makes (records read from the wire into the packed form). */
function fast(ms: Buffer[]): ZoneCopy {
  const t = new TransferAssembler('mesos.', false);
  for (const m of ms) t.addMessage(m, scanTransferMessage(m).records);
  const r = t.result();
  if (r.kind !== 'full') throw new Error(r.kind);
  return copyOfRecords(r.soa, r.records);
}

/** The copy from one WireRecord per record (the general reader). */
function general(ms: Buffer[]): ZoneCopy {
  const records: WireRecord[] = [];
  for (const m of ms) records.push(...readMessage(m).answers);
  return copyOfZone('mesos.', records[0] as ReturnType<typeof soa>, records.slice(1, -1));
}

const zone: ResourceRecord[] = [
  { name: 'mesos.', ttl: 60, data: { type: QTYPE.NS, target: 'ns1.mesos.' } },
  ...Array.from({ length: 300 }, (_, i): ResourceRecord[] => [
    { name: `task${i}.marathon.mesos.`, ttl: 60, data: { type: QTYPE.A, address: `10.0.${i >> 8}.${i & 255}` } },
    { name: `_task${i}._tcp.marathon.mesos.`, ttl: 60, data: { type: QTYPE.SRV, priority: i % 3, weight: 40000 + i, port: 31000 + i, target: `task${i}-abc.marathon.slave.mesos.` } },
    { name: `_task${i}._udp.marathon.mesos.`, ttl: 60, data: { type: QTYPE.SRV, priority: 65535, weight: 0, port: 31000 + i, target: `task${i}-abc.marathon.slave.mesos.` } },
    { name: `task${i}-abc.marathon.slave.mesos.`, ttl: 60, data: { type: QTYPE.A, address: '10.1.0.1' } },
  ]).flat(),
  // Upper case (RFC 4343: read lower-cased), a repeat, an AAAA, a CNAME, a TXT (kept as bytes),
  // names that presentation form escapes, a record outside the zone.
  { name: 'Web.Marathon.MESOS.', ttl: 60, data: { type: QTYPE.A, address: '10.9.0.1' } },
  { name: 'web.marathon.mesos.', ttl: 60, data: { type: QTYPE.A, address: '10.9.0.1' } },
  { name: 'web.marathon.mesos.', ttl: 60, data: { type: QTYPE.AAAA, address: 'fd00::1' } },
  { name: 'alias.mesos.', ttl: 60, data: { type: QTYPE.CNAME, target: 'Web.Marathon.mesos.' } },
  { name: 'note.mesos.', ttl: 60, data: { type: QTYPE.TXT, texts: ['hello'] } },
  { name: 'a\\.b.mesos.', ttl: 60, data: { type: QTYPE.A, address: '10.9.0.2' } },
  { name: '_x._tcp.mesos.', ttl: 60, data: { type: QTYPE.SRV, priority: 0, weight: 0, port: 1, target: 'sp\\032ace.mesos.' } },
  { name: 'outside.example.', ttl: 60, data: { type: QTYPE.A, address: '192.0.2.1' } },
];

describe('a whole zone read into the packed copy', () => {
  it.each([512, 4096, 65535])('gives the copy the general reader gives (messages of %i octets)', (size) => {
    const ms = messages(zone, size);
    const a = fast(ms);
    const b = general(ms);
    expect([...a.owners]).toEqual([...b.owners]);
    expect(a.owners.size).toBe(b.owners.size);
    expect(a.outside).toBe(1);
    expect(b.outside).toBe(1);
    expect(a.owners.get('web.marathon.mesos.')).toEqual([
      { type: QTYPE.A, address: '10.9.0.1' },
      { type: QTYPE.AAAA, address: 'fd00::1' },
    ]);
    expect(a.owners.get('_task5._udp.marathon.mesos.')).toEqual([{ type: QTYPE.SRV, priority: 65535, weight: 0, port: 31005, target: 'task5-abc.marathon.slave.mesos.' }]);
    expect(a.owners.get('alias.mesos.')).toEqual([{ type: QTYPE.CNAME, target: 'web.marathon.mesos.' }]);
    // Escaped as the general reader escapes it (name-wire.ts), by that reader.
    expect(a.owners.has('a\\046b.mesos.')).toBe(true);
    expect(a.owners.get('_x._tcp.mesos.')).toEqual([{ type: QTYPE.SRV, priority: 0, weight: 0, port: 1, target: 'sp\\032ace.mesos.' }]);
    // Packed: the records are integers in typed arrays, not objects.
    expect(a.base.recType.length).toBe(4 * 300 + 7);
  });
});

describe('a copy past COMPACT_AT changed owners', () => {
  it('is packed again with the same records, and the copy it came from is unchanged', () => {
    const first = copyOfZone('mesos.', soa(1), [{ owner: 'keep.mesos.', ttl: 60, data: { type: QTYPE.A, address: '10.0.0.1' } }]);
    const added = Array.from({ length: COMPACT_AT + 1 }, (_, i): WireRecord => ({ owner: `t${i}.mesos.`, ttl: 60, data: { type: QTYPE.A, address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` } }));
    const small = applyDeltas(first, soa(2), [{ from: 1, to: 2, removed: [], added: added.slice(0, 10) }]);
    expect(small.changed.size).toBe(10);
    expect(small.base).toBe(first.base);
    const big = applyDeltas(small, soa(3), [{ from: 2, to: 3, removed: [{ owner: 'keep.mesos.', ttl: 60, data: { type: QTYPE.A, address: '10.0.0.1' } }], added: added.slice(10) }]);
    expect(big.changed.size).toBe(0);
    expect(big.owners.size).toBe(COMPACT_AT + 1);
    expect(big.owners.get('t70000.mesos.')).toBeUndefined();
    expect(big.owners.get(`t${COMPACT_AT}.mesos.`)).toEqual([added[COMPACT_AT].data]);
    expect(big.owners.has('keep.mesos.')).toBe(false);
    expect(small.owners.size).toBe(11);
    expect(first.owners.get('keep.mesos.')).toEqual([{ type: QTYPE.A, address: '10.0.0.1' }]);
  });
});
