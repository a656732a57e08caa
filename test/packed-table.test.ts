// The packed table and what builds it: the name interner, the builder's de-duplication and
// empty non-terminals, the hash index (findName), and the collection that frees old
// generations. build-table-fixture.test.ts covers the records themselves against mesos-dns's
// output.
import { describe, expect, it } from '@jest/globals';
import { DEFAULTS } from '../src/config/typed.js';
import { garbageCollector } from '../src/collect-garbage.js';
import { parseState } from '../src/mesos/parse-state.js';
import { buildTable } from '../src/records/build-table.js';
import { NameInterner, namePart, NO_PART } from '../src/records/name-interner.js';
import { ResumedNames } from '../src/records/resumed-names.js';
import { findName, nameAt, NAME_ENT, NAME_OWNER, NAME_TARGET } from '../src/records/packed-table.js';
import { TableBuilder } from '../src/records/table-builder.js';
import { decodeTable, encodeTable } from '../src/workers/table-codec.js';

const inputs = { config: DEFAULTS, masters: [], addresses: new Map<string, string[]>(), selfAddresses: [], serial: 1 };

describe('NameInterner', () => {
  it('gives one id per name however it is spelled in parts, and keeps ids across growth', () => {
    const names = new NameInterner(4); // far too small: every array has to grow
    const ids: number[] = [];
    const tail = namePart('.marathon.mesos.');
    for (let i = 0; i < 5000; i++) ids.push(names.internParts(namePart(`task-${i}`), namePart('-abcde'), namePart('-s1'), tail));
    for (let i = 0; i < 5000; i++) {
      expect(names.intern(`task-${i}-abcde-s1.marathon.mesos.`)).toBe(ids[i]);
      expect(names.internParts(namePart(`task-${i}-abcde`), NO_PART, namePart('-s1.marathon.mesos.'), NO_PART)).toBe(ids[i]);
      expect(names.string(ids[i])).toBe(`task-${i}-abcde-s1.marathon.mesos.`);
    }
    expect(names.count).toBe(5000);
    expect(new Set(ids).size).toBe(5000);
  });

  it('interns non-ASCII names by their UTF-8 bytes, distinct from look-alikes', () => {
    const names = new NameInterner();
    const cafe = names.intern('café.mesos.');
    expect(names.internParts(namePart('caf'), namePart('é'), namePart('.mesos.'), NO_PART)).toBe(cafe);
    expect(names.intern('cafe.mesos.')).not.toBe(cafe);
    expect(names.string(cafe)).toBe('café.mesos.');
  });

  it('interns a stored suffix as the name it spells', () => {
    const names = new NameInterner();
    const full = names.intern('a.b.mesos.');
    const start = names.start(full);
    const parent = names.internStored(start + 2, names.end(full));
    expect(names.string(parent)).toBe('b.mesos.');
    expect(names.intern('b.mesos.')).toBe(parent);
    expect(names.internStored(start + 2, names.end(full))).toBe(parent);
  });
});

describe('ResumedNames (the incremental table goes on from a finished table)', () => {
  it("keeps the table's ids, reads its names in place and adds new ones after them", () => {
    const b = new TableBuilder(0, 1);
    const base = Array.from({ length: 3000 }, (_, i) => b.name(`t${i}.marathon.mesos.`));
    b.addA(base[0], b.ip('10.0.0.1'));
    const { packed } = b.finish({ zone: 'mesos.', srvPriority: 0, srvWeight: 1 });
    const names = new ResumedNames(packed.names, packed.slots);
    const count = packed.names.ends.length;
    expect(names.count).toBe(count);
    for (let i = 0; i < 3000; i++) {
      const id = findName(packed, `t${i}.marathon.mesos.`);
      expect(names.intern(`t${i}.marathon.mesos.`)).toBe(id);
      expect(names.internParts(namePart(`t${i}`), namePart('.marathon'), namePart('.mesos.'), NO_PART)).toBe(id);
      expect(names.string(id)).toBe(`t${i}.marathon.mesos.`);
    }
    // New names (past every growth of its own arrays), then found again; the table is not written.
    const before = Buffer.from(packed.names.bytes);
    const added = Array.from({ length: 2000 }, (_, i) => names.intern(`new-${i}.café.mesos.`));
    expect(added).toEqual(Array.from({ length: 2000 }, (_, i) => count + i));
    for (let i = 0; i < 2000; i++) {
      expect(names.intern(`new-${i}.café.mesos.`)).toBe(added[i]);
      expect(names.string(added[i])).toBe(`new-${i}.café.mesos.`);
    }
    expect(Buffer.from(packed.names.bytes).equals(before)).toBe(true);
    // A stored suffix (a parent) of a new name is the table's name when the table has it.
    const child = names.intern('x.t7.marathon.mesos.');
    const parent = names.internStored(names.start(child) + 2, names.end(child));
    expect(parent).toBe(findName(packed, 't7.marathon.mesos.'));
    // and of a table name, too, by bytes across the two stores
    const fw = names.internStored(names.start(base[5]) + 3, names.end(base[5]));
    expect(names.string(fw)).toBe('marathon.mesos.');
    expect(fw).toBe(findName(packed, 'marathon.mesos.'));
  });
});

describe('TableBuilder', () => {
  it('keeps the first of each repeated record per name, in order, past the scan limit too', () => {
    const b = new TableBuilder(0, 1);
    const owner = b.name('slave.mesos.');
    const ips = Array.from({ length: 80 }, (_, i) => b.ip(`10.0.${i >> 4}.${i & 15}`));
    // Every address three times, interleaved, so repeats arrive before and after 32 values.
    for (let round = 0; round < 3; round++) for (const ip of ips) b.addA(owner, ip);
    const built = b.finish({ zone: 'mesos.', srvPriority: 0, srvWeight: 1 });
    const id = findName(built.packed, 'slave.mesos.');
    const { recStart, recValue } = built.packed;
    expect(recStart[id + 1] - recStart[id]).toBe(80);
    expect(Array.from(recValue.subarray(recStart[id], recStart[id + 1]))).toEqual(ips);
    // Only the first round added anything (what /v1/enumerate reports).
    expect(Array.from(built.firstSeen)).toEqual([...new Array(80).fill(1), ...new Array(160).fill(0)]);
  });

  it('marks owners, empty non-terminals (apex included) and names that are only SRV targets', () => {
    const b = new TableBuilder(0, 1);
    b.addSRV(b.name('_x._tcp.app.mesos.'), b.name('app-1.host.mesos.'), 80);
    b.addA(b.name('ns.other.'), b.ip('10.0.0.1')); // outside the zone: no ancestors added
    const { packed } = b.finish({ zone: 'mesos.', srvPriority: 0, srvWeight: 1 });
    const kind = (name: string): number | undefined => {
      const id = findName(packed, name);
      return id < 0 ? undefined : packed.nameKind[id];
    };
    expect(kind('_x._tcp.app.mesos.')).toBe(NAME_OWNER);
    expect(kind('ns.other.')).toBe(NAME_OWNER);
    expect(kind('_tcp.app.mesos.')).toBe(NAME_ENT);
    expect(kind('app.mesos.')).toBe(NAME_ENT);
    expect(kind('mesos.')).toBe(NAME_ENT);
    expect(kind('app-1.host.mesos.')).toBe(NAME_TARGET);
    expect(kind('host.mesos.')).toBeUndefined();
    expect(kind('other.')).toBeUndefined();
    expect(packed.ownerCount).toBe(2);
    expect(packed.existingCount).toBe(5);
  });
});

describe('packed tables built from a state', () => {
  const state = parseState({
    leader: 'master@10.0.0.1:5050',
    slaves: Array.from({ length: 40 }, (_, i) => ({ id: `a-S${i}`, pid: `slave(1)@10.1.0.${i % 20}:5051` })),
    frameworks: [
      {
        name: 'fw',
        tasks: [
          ...Array.from({ length: 300 }, (_, i) => ({ id: `web.${i}`, name: 'web', slave_id: `a-S${i % 40}`, state: 'TASK_RUNNING', resources: { ports: '[31000-31001]' } })),
          { id: 'u.1', name: 'u', slave_id: 'a-S1', state: 'TASK_RUNNING', discovery: { name: 'Café', ports: { ports: [{ number: 80, protocol: 'tcp', name: 'http' }] } } },
        ],
      },
    ],
  });
  const table = buildTable(state, inputs);

  it('finds every name it holds, by exact bytes only', () => {
    const names = [...table.existing];
    expect(names.length).toBe(table.existing.size);
    for (const name of names) expect(table.existing.has(name)).toBe(true);
    expect(table.existing.has('WEB.fw.mesos.')).toBe(false); // queries are lower-cased before lookup
    expect(table.existing.has('web.fw.mesos')).toBe(false);
    expect(table.existing.has('nope.fw.mesos.')).toBe(false);
    // Every id's bytes decode to a name that finds that id again.
    const packed = table.packed!;
    for (let id = 0; id < packed.nameKind.length; id++) expect(findName(packed, nameAt(packed, id))).toBe(id);
  });

  it('de-duplicates large sets: 20 agent addresses for 300 tasks on 40 agents', () => {
    expect(table.names.get('slave.fw.mesos.')).toBeUndefined();
    expect(table.names.get('web.fw.slave.mesos.')?.a).toEqual(Array.from({ length: 20 }, (_, i) => `10.1.0.${i}`));
    expect(table.names.get('_web._tcp.fw.mesos.')?.srv).toHaveLength(600);
  });

  it('keeps a non-ASCII legacy DiscoveryInfo name as given, and finds it after the hand-off to a worker', () => {
    expect(table.names.get('Café.fw.mesos.')?.a).toEqual(['10.1.0.1']);
    expect(table.names.get('caf.fw.mesos.')?.a).toEqual(['10.1.0.1']);
    const back = decodeTable(encodeTable(table));
    expect(back.names.get('Café.fw.mesos.')?.a).toEqual(['10.1.0.1']);
    expect(back.names.get('_http._Café._tcp.fw.mesos.')?.srv.map((s) => s.port)).toEqual([80]);
  });

  it('lives in one SharedArrayBuffer, so worker threads share it instead of copying it', () => {
    const p = table.packed!;
    const buffers = new Set([p.names.bytes.buffer, p.names.ends.buffer, p.slots.buffer, p.recStart.buffer, p.recPort.buffer, p.recValue.buffer, p.ips.bytes.buffer]);
    expect(buffers.size).toBe(1);
    expect(Object.prototype.toString.call([...buffers][0])).toBe('[object SharedArrayBuffer]');
  });
});

describe('garbageCollector', () => {
  it('collects soon after a swap on an otherwise idle thread', async () => {
    const collector = garbageCollector({ delayMs: 10, minIntervalMs: 0 });
    // An old generation nothing refers to any more: only a collection clears the WeakRef.
    let old: { table: SharedArrayBuffer } | undefined = { table: new SharedArrayBuffer(1 << 20) };
    const ref = new WeakRef(old);
    old = undefined;
    await new Promise((r) => setTimeout(r, 0)); // WeakRef targets live until the current job ends
    collector.afterSwap();
    for (let i = 0; i < 100 && ref.deref() !== undefined; i++) await new Promise((r) => setTimeout(r, 10));
    expect(ref.deref()).toBeUndefined();
    collector.close();
  });
});
