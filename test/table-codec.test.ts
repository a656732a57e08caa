// The table codec that carries each generation to the DNS worker threads.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { DEFAULTS } from '../src/config/typed.js';
import { lookup } from '../src/dns/answer/lookup.js';
import { QTYPE } from '../src/dns/wire/message.js';
import { parseStateText } from '../src/mesos/parse-state.js';
import { parsePid } from '../src/mesos/pid.js';
import { buildTable } from '../src/records/build-table.js';
import type { RecordTable } from '../src/records/table.js';
import { decodeTable, decodeTableInSlices, encodeTable } from '../src/workers/table-codec.js';
import { withReverseSerials } from '../src/records/reverse-table.js';
import { generateStateText } from '../bench/gen-state.js';
import { summaryFromAnswer } from './helpers/dns-case.js';
import { buildTestTable } from './helpers/table.js';
import { masters } from './helpers/masters.js';

describe('table codec', () => {
  const fixture = (): RecordTable => {
    const state = parseStateText(readFileSync(new URL('./fixtures/mesos-state-fake.json', import.meta.url), 'utf8'));
    state.leader = parsePid('master@144.76.157.37:5050');
    return buildTable(state, {
      config: DEFAULTS,
      masters: masters(['144.76.157.37:5050']),
      addresses: new Map([['localhost', ['127.0.0.1']]]),
      selfAddresses: ['127.0.0.1', 'fd00::53'],
      serial: 77,
    });
  };

  // Through v8 serialization, as the IPC channel with serialization 'advanced' carries it.
  const overTheWire = (table: RecordTable): RecordTable => decodeTable(v8.deserialize(v8.serialize(encodeTable(table))));

  it('round-trips every name, record, existing name and the SOA', () => {
    const table = fixture();
    const back = overTheWire(table);
    expect(back.zone).toBe(table.zone);
    expect(back.ttl).toBe(table.ttl);
    expect(back.soa).toEqual(table.soa);
    expect(back.ns).toEqual(table.ns);
    expect([...back.names.keys()]).toEqual([...table.names.keys()]);
    for (const [name, rec] of table.names) expect(back.names.get(name)).toEqual({ a: [...rec.a], aaaa: [...rec.aaaa], srv: rec.srv.map((s) => ({ ...s })) });
    expect(new Set(back.existing)).toEqual(new Set(table.existing));
    expect(back.existing.size).toBe(table.existing.size);
    expect(back.names.has('nope.mesos.')).toBe(false);
    expect(back.existing.has('_tcp.marathon.mesos.')).toBe(table.existing.has('_tcp.marathon.mesos.'));
  });

  it('gives the same lookups as the table it came from', () => {
    const table = fixture();
    const back = overTheWire(table);
    const names = [...table.existing, 'nope.mesos.'];
    for (const name of names) {
      for (const type of [QTYPE.A, QTYPE.AAAA, QTYPE.SRV, QTYPE.NS, QTYPE.SOA, QTYPE.TXT]) {
        const q = { id: 1, opcode: 0, rd: true, cd: false, question: { name: name.slice(0, -1), type, class: 1 } };
        const opts = { random: () => 0, recurseOn: true };
        expect(summaryFromAnswer(lookup(back, q, opts))).toEqual(summaryFromAnswer(lookup(table, q, opts)));
      }
    }
  });

  it('packs a hand-made table, keeping SRV priorities and weights and its empty non-terminals', () => {
    const table = buildTestTable(['a.mesos. A 10.0.0.1', '_x._tcp.a.mesos. SRV 1 2 80 a.mesos.', '_x._tcp.a.mesos. SRV 0 7 81 b.mesos.', 'c.d.mesos. AAAA fd00::1']);
    const back = overTheWire(table);
    expect(back.names.get('_x._tcp.a.mesos.')?.srv).toEqual([
      { priority: 1, weight: 2, port: 80, target: 'a.mesos.' },
      { priority: 0, weight: 7, port: 81, target: 'b.mesos.' },
    ]);
    expect(new Set(back.existing)).toEqual(new Set(table.existing));
    // An SRV target without records is no name of the zone.
    expect(back.existing.has('b.mesos.')).toBe(false);
    expect(back.names.has('b.mesos.')).toBe(false);
    expect(back.existing.has('d.mesos.')).toBe(true);
    expect(back.names.get('d.mesos.')).toBeUndefined();
  });

  it('refuses a damaged table message instead of serving it', () => {
    const encoded = v8.deserialize(v8.serialize(encodeTable(fixture())));
    const damage: Array<(p: Record<string, unknown> & { recValue: Int32Array; slots: Int32Array; recStart: Int32Array }) => void> = [
      (p) => (p.recValue[3] = 1 << 30),
      (p) => (p.slots[p.slots.findIndex((x) => x !== 0)] = -5),
      (p) => (p.recStart = p.recStart.subarray(1)),
      (p) => (p.names = { bytes: new Uint8Array(1), ends: new Int32Array([1, 9]) }),
      (p) => (p.ownerCount = 3),
      (p) => delete p.nameKind,
    ];
    for (const hurt of damage) {
      const copy = v8.deserialize(v8.serialize(encoded));
      hurt(copy.packed);
      expect(() => decodeTable(copy)).toThrow(expect.objectContaining({ code: 'MDNS_ERR_TABLE_MESSAGE' }));
    }
    expect(() => decodeTable({ header: encoded.header, packed: 'nope' } as never)).toThrow(/table message/);
  });

  it('hands the PTR records over packed in shared memory, giving the same reverse answers', () => {
    const state = parseStateText(generateStateText(2_000, 5, { leader: 'master@10.0.0.1:5050' }));
    const table = buildTable(state, { config: DEFAULTS, masters: masters(['10.0.0.1:5050']), addresses: new Map(), selfAddresses: ['fd00::53'], serial: 9 });
    const reverse = table.reverse!;
    expect(reverse.ptr.size).toBeGreaterThan(400);
    const encoded = encodeTable(table);
    // No string per PTR owner in the message: the owners and targets are bytes in one SharedArrayBuffer.
    const packed = encoded.header.reverse!.packed;
    expect(packed.owners.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(packed.targets.ends.buffer).toBe(packed.owners.bytes.buffer);
    expect(encoded.header.reverse!.between.length).toBeLessThan(reverse.ptr.size / 4);
    const back = decodeTable(v8.deserialize(v8.serialize(encoded))).reverse!;
    expect([...back.zones]).toEqual([...reverse.zones]);
    expect([...back.ptr.keys()]).toEqual([...reverse.ptr.keys()]);
    for (const [owner, targets] of reverse.ptr) expect(back.ptr.get(owner)).toEqual(targets);
    expect(new Set(back.existing)).toEqual(new Set(reverse.existing));
    expect(back.data).toEqual(reverse.data);
    const names = [...reverse.existing, ...[...reverse.zones].map((z) => `99.${z}`), '1.2.3.4.in-addr.arpa.'];
    expect(names.length).toBeGreaterThan(reverse.ptr.size);
    for (const name of names) {
      expect(back.ptr.get(name)).toEqual(reverse.ptr.get(name));
      expect(back.existing.has(name)).toBe(reverse.existing.has(name));
    }
    // Zone serials (zone transfer on) travel beside the packed arrays and can be replaced over them.
    const zone = [...reverse.zones][0];
    const serialed = decodeTable(v8.deserialize(v8.serialize(encodeTable({ ...table, reverse: withReverseSerials(reverse, new Map([[zone, 1234]])) })))).reverse!;
    expect(serialed.serials.get(zone)).toBe(1234);
    expect(withReverseSerials(serialed, new Map([[zone, 99]])).serials.get(zone)).toBe(99);
    expect(withReverseSerials(serialed, new Map([[zone, 99]])).ptr.get([...reverse.ptr.keys()][0])).toEqual([...reverse.ptr.values()][0]);
  });

  it('refuses a damaged reverse part', async () => {
    const state = parseStateText(generateStateText(300, 5, { leader: 'master@10.0.0.1:5050' }));
    const table = buildTable(state, { config: DEFAULTS, masters: masters(['10.0.0.1:5050']), addresses: new Map(), selfAddresses: [], serial: 9 });
    const encoded = v8.deserialize(v8.serialize(encodeTable(table)));
    type R = { zones: unknown; between: unknown; serials?: unknown; packed: { slots: Int32Array; targetEnds: Int32Array; owners: unknown } };
    const damage: Array<(r: R) => void> = [
      (r) => (r.packed.slots[r.packed.slots.findIndex((x) => x !== 0)] = 1 << 30),
      (r) => (r.packed.targetEnds[0] = 1 << 30),
      (r) => (r.packed.targetEnds = r.packed.targetEnds.subarray(1)),
      (r) => (r.packed.owners = { bytes: new Uint8Array(1), ends: new Int32Array([1, 9]) }),
      (r) => (r.zones = [1]),
      (r) => (r.serials = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]),
    ];
    for (const hurt of damage) {
      const copy = v8.deserialize(v8.serialize(encoded));
      hurt(copy.header.reverse);
      expect(() => decodeTable(copy)).toThrow(expect.objectContaining({ code: 'MDNS_ERR_TABLE_MESSAGE' }));
      await expect(decodeTableInSlices(copy)).rejects.toMatchObject({ code: 'MDNS_ERR_TABLE_MESSAGE' });
    }
  });

  it('checks a large table in slices, pausing between them, with the same result and the same refusals', async () => {
    // 20,000 tasks: 262,144 name index slots and about 240,000 records, four slices or more.
    const state = parseStateText(generateStateText(20_000, 3, { leader: 'master@10.0.0.1:5050' }));
    const table = buildTable(state, { config: DEFAULTS, masters: masters(['10.0.0.1:5050']), addresses: new Map(), selfAddresses: [], serial: 1 });
    const encoded = v8.deserialize(v8.serialize(encodeTable(table)));
    let pauses = 0;
    const pause = (): Promise<void> => {
      pauses++;
      return new Promise((r) => setImmediate(r));
    };
    const sliced = await decodeTableInSlices(encoded, pause);
    expect(pauses).toBeGreaterThan(2);
    const whole = decodeTable(encoded);
    const sample = [...whole.names.keys()].filter((_, i) => i % 997 === 0);
    for (const name of [...sample, 'leader.mesos.', 'nothing.mesos.']) expect(sliced.names.get(name)).toEqual(whole.names.get(name));
    expect(sliced.names.get('leader.mesos.')?.a).toEqual(['10.0.0.1']);
    expect(sliced.names.size).toBe(whole.names.size);
    expect(sliced.names.size).toBeGreaterThan(50_000);

    // Damage in the last slice (the last record) is still found.
    const damaged = v8.deserialize(v8.serialize(encoded));
    damaged.packed.recValue[damaged.packed.recValue.length - 1] = 1 << 30;
    await expect(decodeTableInSlices(damaged, pause)).rejects.toMatchObject({ code: 'MDNS_ERR_TABLE_MESSAGE' });
  });
});

// --- worker processes -----------------------------------------------------------------------
