// The pure parts of zone transfer (dns/xfr/, records/packed-compare.ts, wire/tsig-mac.ts), with
// tables of cases: RFC 1982 serials, the zone diff over packed and hand-made tables, the IXFR
// journal, the serial decisions of ZoneHistory, message splitting, and TSIG sign/verify.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { DEFAULTS, withTyped } from '../src/config/typed.js';
import { parseState } from '../src/mesos/parse-state.js';
import { buildTable, buildTableParts, type BuildInputs } from '../src/records/build-table.js';
import { IncrementalTable } from '../src/records/incremental/incremental-table.js';
import type { MasterState, Task } from '../src/mesos/state.js';
import { masters } from './helpers/masters.js';
import { syntheticState, syntheticTask, withTasks } from './helpers/workers.js';
import type { RecordTable } from '../src/records/table.js';
import { diffZone } from '../src/dns/xfr/diff.js';
import { Journal } from '../src/dns/xfr/journal.js';
import { axfrRecords, ixfrRecords, transferMessages } from '../src/dns/xfr/messages.js';
import { nextSerial, serialGreater } from '../src/dns/xfr/serial.js';
import { ZoneHistory } from '../src/dns/xfr/zone-history.js';
import { zoneAt, zonesOf } from '../src/dns/xfr/zones.js';
import { QCLASS, QTYPE, type ResourceRecord } from '../src/dns/wire/message.js';
import { signMessage, verifyRequest } from '../src/dns/wire/tsig-mac.js';
import { TSIG_ERROR } from '../src/dns/wire/tsig.js';
import { parseQuery } from '../src/dns/wire/parse-query.js';
import { parseTsigKey } from '../src/config/tsig-keys.js';
import { smallState } from './helpers/small-state.js';
import { buildTestTable } from './helpers/table.js';
import { inputs } from './helpers/build-table.js';

const table = (tasks: string[], serial = 1): RecordTable => buildTable(parseState(smallState(5050, tasks)), inputs({ serial }));
const text = (rrs: ResourceRecord[]): string[] => rrs.map((r) => `${r.name} ${JSON.stringify(r.data)}`).sort();

describe('serials (RFC 1982)', () => {
  it.each([
    [2, 1, true],
    [1, 2, false],
    [5, 5, false],
    [0, 0xffffffff, true], // wrapped
    [0xffffffff, 0, false],
    [2 ** 31 - 1 + 10, 10, true], // 2^31 - 1 apart: still greater
    [2 ** 31 + 10, 10, false], // exactly 2^31 apart: not defined, so not greater
  ])('serialGreater(%d, %d) = %s', (a, b, want) => {
    expect(serialGreater(a, b)).toBe(want);
  });

  it.each([
    [undefined, 1000, undefined, 1000],
    [999, 1000, undefined, 1000],
    [1000, 1000, undefined, 1001], // two changes in one second
    [5000, 1000, undefined, 5001], // ahead of the clock: previous + 1
    [undefined, 1000, 7000, 7001], // SerialFile from an earlier run
    [0xffffffff, 5, undefined, 5], // wraps forward past 2^32
  ])('nextSerial(%s, now %d, floor %s) = %d', (previous, now, floor, want) => {
    expect(nextSerial(previous, now, floor)).toBe(want);
  });
});

describe('diffZone', () => {
  it('finds added, removed and changed names, over packed tables and hand-made ones alike', () => {
    const packed = diffZone(zoneAt(table(['a', 'b']), 'mesos.')!, zoneAt(table(['a', 'c']), 'mesos.')!);
    expect(packed.added.map((r) => r.name)).toContain('c.marathon.mesos.');
    expect(packed.removed.map((r) => r.name)).toContain('b.marathon.mesos.');
    expect([...packed.added, ...packed.removed].map((r) => r.name)).not.toContain('a.marathon.mesos.');

    const before = buildTestTable(['x.mesos. A 10.0.0.1', 'x.mesos. A 10.0.0.2', 'y.mesos. A 10.0.0.3']);
    const after = buildTestTable(['x.mesos. A 10.0.0.2', 'x.mesos. A 10.0.0.1', 'y.mesos. A 10.0.0.4', 'z.mesos. SRV 0 1 80 x.mesos.']);
    const d = diffZone(zoneAt(before, 'mesos.')!, zoneAt(after, 'mesos.')!);
    // The order of x's addresses changed, not its records.
    expect(text(d.removed)).toEqual(['y.mesos. {"type":1,"address":"10.0.0.3"}']);
    expect(text(d.added)).toEqual(['y.mesos. {"type":1,"address":"10.0.0.4"}', 'z.mesos. {"type":33,"priority":0,"weight":1,"port":80,"target":"x.mesos."}']);
  });

  it('finds a changed address of a name both packed tables have', () => {
    const moved = smallState(5050, ['a']) as { slaves: { hostname: string; pid: string }[] };
    moved.slaves[0].hostname = '10.1.0.2';
    moved.slaves[0].pid = 'slave(1)@10.1.0.2:5051';
    const after = buildTable(parseState(moved), inputs({ serial: 2 }));
    const d = diffZone(zoneAt(table(['a']), 'mesos.')!, zoneAt(after, 'mesos.')!);
    expect(d.removed.map((r) => r.name)).toContain('a.marathon.mesos.');
    expect(d.added.filter((r) => r.name === 'a.marathon.mesos.').map((r) => r.data)).toEqual([{ type: QTYPE.A, address: '10.1.0.2' }]);
  });

  it('stops at a limit and says so (a change too large to journal)', () => {
    const before = zoneAt(table(['a']), 'mesos.')!;
    const after = zoneAt(table(['b', 'c', 'd']), 'mesos.')!;
    expect(diffZone(before, after).overflow).toBe(false);
    expect(diffZone(before, after, 3).overflow).toBe(true);
  });

  it('is empty between two builds of the same state, and covers the reverse zones', () => {
    const a = table(['a', 'b']);
    const b = table(['b', 'a']);
    for (const [apex, zone] of zonesOf(b)) {
      const d = diffZone(zonesOf(a).get(apex)!, zone);
      expect([apex, d.added.length, d.removed.length]).toEqual([apex, 0, 0]);
    }
    expect([...zonesOf(a).keys()]).toEqual(['mesos.', '0.1.10.in-addr.arpa.', '157.76.144.in-addr.arpa.', '0.0.127.in-addr.arpa.']);
  });
});

describe('Journal', () => {
  const entry = (from: number, to: number) => ({ from, to, removed: [], added: [] });
  it('keeps the last changes, answers from a serial it starts at, forgets a broken chain', () => {
    const j = new Journal();
    for (let s = 1; s <= 5; s++) j.add(entry(s, s + 1), 3);
    expect(j.size).toBe(3);
    expect(j.since(3)?.map((e) => e.from)).toEqual([3, 4, 5]);
    expect(j.since(2)).toBeUndefined();
    expect(j.newest()).toBe(6);
    j.add(entry(10, 11), 3);
    expect(j.since(3)).toBeUndefined();
    expect(j.since(10)?.length).toBe(1);
  });

  it('drops the oldest changes past a total of records', () => {
    const rr: ResourceRecord = { name: 'x.mesos.', ttl: 60, data: { type: QTYPE.A, address: '10.0.0.1' } };
    const j = new Journal();
    for (let s = 1; s <= 4; s++) j.add({ from: s, to: s + 1, removed: [rr], added: [rr] }, 100, 5);
    expect(j.size).toBe(2);
    expect(j.since(3)?.length).toBe(2);
    expect(j.since(2)).toBeUndefined();
  });
});

describe('ZoneHistory', () => {
  const on = withTyped({ ...DEFAULTS, AllowTransfer: ['127.0.0.0/8'] });
  it('keeps the serial when nothing changed, moves it and journals the delta when something did', () => {
    let now = 1000;
    const history = new ZoneHistory({ config: () => on, now: () => now });
    const t1 = history.admit(undefined, table(['a'], 999));
    expect(t1.soa.serial).toBe(1000);
    now = 1005;
    const t2 = history.admit(t1, table(['a'], 1005));
    expect(t2.soa.serial).toBe(1000);
    const t3 = history.admit(t2, table(['a', 'b'], 1005));
    expect(t3.soa.serial).toBe(1005);
    const [change] = history.journal('mesos.').since(1000)!;
    expect(change.added.map((r) => r.name)).toContain('b.marathon.mesos.');
    // Each zone on its own: the master's reverse zone did not change, so it keeps its serial.
    expect(zoneAt(t3, 'mesos.')!.soa.serial).toBe(1005);
    expect(zoneAt(t3, '157.76.144.in-addr.arpa.')!.soa.serial).toBe(1000);
    expect(history.journal('157.76.144.in-addr.arpa.').since(1000)).toBeUndefined();
    // The table keeps working after the serial is stamped in: same names, enumeration and all.
    expect(t3.names.get('b.marathon.mesos.')?.a).toEqual(['10.1.0.1']);
    expect(t3.enumeration?.[0].name).toBe('marathon');
  });

  it('diffs a patched table by the names it touched: the same deltas and serials as comparing every name', () => {
    const config = withTyped({ ...DEFAULTS, AllowTransfer: ['127.0.0.0/8'] });
    const input: BuildInputs = { config, masters: masters(['10.0.0.1:5050']), addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 1 };
    const task = syntheticTask;
    let state = syntheticState(60);
    const parts = buildTableParts(state, input);
    const quick = new ZoneHistory({ config: () => config, now: () => 1000 });
    const full = new ZoneHistory({ config: () => config, now: () => 1000 });
    let servedQuick = quick.admit(undefined, parts.table);
    let servedFull = full.admit(undefined, parts.table);
    const engine = new IncrementalTable(state, input, { ...parts, table: servedQuick });
    const tasks0 = state.frameworks[0].tasks;
    const steps = [
      [...tasks0, task('x.1', 'x', '10.9.0.1')], // a launch with its own address: a new PTR and reverse zone
      [...tasks0, task('x.1', 'x', '10.9.0.1'), task('y.1', 'app-3', undefined)], // joins a shared name, agent address
      [...tasks0.slice(1), task('y.1', 'app-3', undefined)], // two kills
    ];
    steps.forEach((list, k) => {
      state = withTasks(state, list);
      const patch = engine.apply(state, { ...input, serial: 2 + k });
      expect(patch).toBeDefined();
      // what publish.ts hands admit(): the forward names and the reverse names the patch changed
      const touched = [...patch!.touched, ...(patch!.table.reverse?.patch?.changed ?? [])];
      servedQuick = quick.admit(servedQuick, patch!.table, touched);
      servedFull = full.admit(servedFull, patch!.table);
      const serials = (t: RecordTable): string[] => [...zonesOf(t)].map(([apex, z]) => `${apex} ${z.soa.serial}`).sort();
      expect(serials(servedQuick)).toEqual(serials(servedFull));
      if (k === 0) expect(zoneAt(servedQuick, '0.9.10.in-addr.arpa.')).toBeDefined();
    });
    for (const apex of zonesOf(servedFull).keys()) {
      const changes = (h: ZoneHistory): string[] => (h.journal(apex).since(1000) ?? []).flatMap((c) => [`${c.from}->${c.to}`, ...text(c.removed).map((r) => `- ${r}`), ...text(c.added).map((r) => `+ ${r}`)]);
      expect(changes(quick)).toEqual(changes(full));
    }
    expect(full.journal('mesos.').since(1000)!.length).toBe(3);
    // x.1's reverse zone came with its launch and went with its kill
    expect(zoneAt(servedQuick, '0.9.10.in-addr.arpa.')).toBeUndefined();
  });

  it('admits a patched table without listing every PTR (the touched names are enough)', () => {
    const config = withTyped({ ...DEFAULTS, AllowTransfer: ['127.0.0.0/8'] });
    const input: BuildInputs = { config, masters: masters(['10.0.0.1:5050']), addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 1 };
    let state = syntheticState(60);
    const parts = buildTableParts(state, input);
    const history = new ZoneHistory({ config: () => config, now: () => 1000 });
    let served = history.admit(undefined, parts.table);
    const engine = new IncrementalTable(state, input, { ...parts, table: served });
    const launch: Task = { id: 'x.1', name: 'x', frameworkId: 'fw-1', agentId: 'agent-S0', state: 'TASK_RUNNING', ports: [], running: { timestamp: 1, networkIPs: ['172.16.0.200'], mesosLabelIPs: [], dockerLabelIPs: [] } };
    state = { ...state, frameworks: [{ ...state.frameworks[0], tasks: [...state.frameworks[0].tasks, launch] }] };
    const patch = engine.apply(state, { ...input, serial: 2 })!;
    // The patched reverse table, with every walk over all PTRs made to throw: ptr.keys()/entries()
    // and `data` (which lists every owner and its targets).
    const r = patch.table.reverse!;
    const walk = (what: string) => () => {
      throw new Error(`walked every PTR (${what})`);
    };
    const ptr = new Proxy(r.ptr, {
      get: (target, prop) => {
        if (prop === 'keys' || prop === 'entries' || prop === 'values' || prop === 'forEach' || prop === Symbol.iterator) return walk(String(prop));
        if (prop === 'size') return walk('size')();
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const reverse = Object.create(null, { ...Object.getOwnPropertyDescriptors(r), ptr: { value: ptr, enumerable: true }, data: { get: walk('data'), enumerable: true } }) as NonNullable<RecordTable['reverse']>;
    const guarded = Object.create(null, { ...Object.getOwnPropertyDescriptors(patch.table), reverse: { value: reverse, enumerable: true } }) as RecordTable;
    const touched = [...patch.touched, ...(r.patch?.changed ?? [])];
    served = history.admit(served, guarded, touched);
    // the launch's PTR is in the reverse zone's journal, and that zone's serial moved
    const zone = '0.16.172.in-addr.arpa.';
    expect(history.journal(zone).since(1000)?.[0].added.map((rr) => `${rr.name} ${(rr.data as { target: string }).target}`)).toEqual([
      '200.0.16.172.in-addr.arpa. x-xrbnb-s0.marathon.mesos.',
      '200.0.16.172.in-addr.arpa. x.marathon.mesos.',
    ]);
    expect(zoneAt(served, zone)?.soa.serial).toBeGreaterThan(1000);
  });

  it('passes tables through unchanged with transfers off', () => {
    const history = new ZoneHistory({ config: () => DEFAULTS, now: () => 1000 });
    const t = table(['a'], 42);
    expect(history.admit(undefined, t)).toBe(t);
  });

  it('writes the serial to SerialFile and starts after the one found there', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'mdns-serial-')), 'serial');
    writeFileSync(file, '5000\n');
    const config = withTyped({ ...DEFAULTS, AllowTransfer: ['127.0.0.0/8'], SerialFile: file });
    const history = new ZoneHistory({ config: () => config, now: () => 1000 });
    expect(history.admit(undefined, table(['a'])).soa.serial).toBe(5001);
    expect(readFileSync(file, 'utf8')).toBe('5001\n');
  });
});

describe('transfer messages', () => {
  it('split a large zone over messages of at most 64 KiB, the question in the first only', () => {
    const tasks = Array.from({ length: 2000 }, (_, i) => `t${i}`);
    const zone = zoneAt(table(tasks), 'mesos.')!;
    const records = [...axfrRecords(zone)];
    const messages = [...transferMessages({ id: 9, rd: false }, { name: 'mesos', type: QTYPE.AXFR, class: QCLASS.IN }, records)];
    expect(messages.length).toBeGreaterThan(1);
    let answers = 0;
    messages.forEach((m, i) => {
      expect(m.length).toBeLessThanOrEqual(65535);
      const p = dnsPacket.decode(m);
      expect(p.id).toBe(9);
      expect(p.type).toBe('response');
      expect(p.flags! & 0x0400).toBe(0x0400); // AA
      expect(p.questions?.length).toBe(i === 0 ? 1 : 0);
      answers += p.answers?.length ?? 0;
    });
    expect(answers).toBe(records.length);
    expect(records[0].data.type).toBe(QTYPE.SOA);
    expect(records.at(-1)!.data.type).toBe(QTYPE.SOA);
  });

  it('IXFR: new SOA, then per change old SOA, deletions, new SOA, additions, then new SOA', () => {
    const zone = zoneAt(table(['a']), 'mesos.')!;
    const del: ResourceRecord = { name: 'x.mesos.', ttl: 60, data: { type: QTYPE.A, address: '10.0.0.1' } };
    const add: ResourceRecord = { name: 'y.mesos.', ttl: 60, data: { type: QTYPE.A, address: '10.0.0.2' } };
    const seq = [...ixfrRecords(zone, [{ from: 7, to: 8, removed: [del], added: [add] }])];
    expect(seq.map((r) => (r.data.type === QTYPE.SOA ? `SOA ${r.data.serial}` : r.name))).toEqual(['SOA 1', 'SOA 7', 'x.mesos.', 'SOA 8', 'y.mesos.', 'SOA 1']);
  });
});

describe('TSIG MACs (RFC 8945)', () => {
  const key = parseTsigKey('hmac-sha256:k1:c2VjcmV0c2VjcmV0c2VjcmV0')!.value!;
  const request = (now: number): Buffer =>
    signMessage(dnsPacket.encode({ type: 'query', id: 77, questions: [{ name: 'mesos', type: 'AXFR', class: 'IN' }] }), { key, priorMac: Buffer.alloc(0), signed: 0 }, now);
  const verify = (buf: Buffer, now: number) => {
    const parsed = parseQuery(buf);
    if (parsed.kind !== 'query' || !parsed.query.tsig) throw new Error('not a signed query');
    const tsigAt = buf.length - (parsed.query.tsig.mac.length + 64); // located exactly below
    const at = buf.lastIndexOf(Buffer.from([2, 0x6b, 0x31, 0])); // the owner "k1."
    return verifyRequest(buf, at >= 0 ? at : tsigAt, parsed.query.tsig, key, now);
  };

  it('verifies what it signed, and tells a changed message (BADSIG) from a stale one (BADTIME)', () => {
    const signed = request(1_000_000);
    expect(verify(signed, 1_000_100)).toEqual({ ok: true });
    const changed = Buffer.from(signed);
    changed[13] ^= 1; // a bit of the question name
    expect(verify(changed, 1_000_000)).toEqual({ ok: false, error: TSIG_ERROR.BADSIG });
    expect(verify(signed, 1_000_000 + 301)).toEqual({ ok: false, error: TSIG_ERROR.BADTIME });
    // A truncated MAC (RFC 8945 §5.2.2.1) is not accepted.
    const parsed = parseQuery(signed);
    if (parsed.kind !== 'query' || !parsed.query.tsig) throw new Error('not signed');
    const at = signed.lastIndexOf(Buffer.from([2, 0x6b, 0x31, 0]));
    expect(verifyRequest(signed, at, { ...parsed.query.tsig, mac: parsed.query.tsig.mac.subarray(0, 16) }, key, 1_000_000)).toEqual({ ok: false, error: TSIG_ERROR.BADSIG });
  });
});
