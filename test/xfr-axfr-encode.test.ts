// The Mesos zone's fast AXFR encoder (dns/xfr/axfr/) against the generic one (messages.ts
// transferMessages over axfrRecords), with tables of cases: for a packed table the messages must
// be the same bytes (same records, order, message boundaries and compression pointers), with and
// without room left for a TSIG RR; for a patched table (an overlay over a packed base) the same
// records, every message decodable and within its limit, SOA first and last.
import { describe, expect, it } from '@jest/globals';
import dnsPacket from 'dns-packet';
import { DEFAULTS, withTyped } from '../src/config/typed.js';
import { parseState } from '../src/mesos/parse-state.js';
import { buildTable, buildTableParts, type BuildInputs } from '../src/records/build-table.js';
import { IncrementalTable } from '../src/records/incremental/incremental-table.js';
import { findName, PackedExisting, PackedNames } from '../src/records/packed-table.js';
import { packedWire } from '../src/dns/xfr/axfr/packed-wire.js';
import { TableBuilder } from '../src/records/table-builder.js';
import type { RecordTable } from '../src/records/table.js';
import type { MasterState, Task } from '../src/mesos/state.js';
import { axfrRecords, transferMessages, wholeZoneMessages } from '../src/dns/xfr/messages.js';
import { transferable, zoneAt } from '../src/dns/xfr/zones.js';
import { QCLASS, QTYPE } from '../src/dns/wire/message.js';
import { TCP_MAX } from '../src/dns/wire/constants.js';
import { smallState } from './helpers/small-state.js';
import { syntheticState, syntheticTask, withTasks } from './helpers/workers.js';
import { masters } from './helpers/masters.js';
import { inputs } from './helpers/build-table.js';

/** The generic encoder's whole-zone messages, as transfer-service.ts made them before. */
function generic(table: RecordTable, reserve: number): Buffer[] {
  const zone = zoneAt(table, table.zone)!;
  return [...transferMessages({ id: 0, rd: false }, { name: zone.apex, type: QTYPE.AXFR, class: QCLASS.IN }, axfrRecords(zone), TCP_MAX, reserve)];
}

function fast(table: RecordTable, reserve: number): Buffer[] {
  const zone = zoneAt(table, table.zone)!;
  // The fast encoder must be the one taken (a packed table, or an overlay over one).
  expect(zone.wholeZoneMessages?.(reserve)).toBeDefined();
  return [...wholeZoneMessages(zone, reserve)];
}

/** A packed table from record lines (`owner A addr`, `owner AAAA addr`, `owner SRV prio weight port target`), names as given. */
function packedTable(lines: string[], soa: { mname?: string; rname?: string } = {}, zone = 'mesos.'): RecordTable {
  const b = new TableBuilder(0, 1);
  for (const line of lines) {
    const [owner, type, ...rest] = line.split(' ');
    const id = b.name(owner);
    if (type === 'A') b.addA(id, b.ip(rest[0]));
    else if (type === 'AAAA') b.addAAAA(id, b.ip(rest[0]));
    else b.addSRV(id, b.name(rest[3]), Number(rest[2]), Number(rest[0]), Number(rest[1]));
  }
  const { packed } = b.finish({ zone, srvPriority: 0, srvWeight: 1 });
  const mname = soa.mname ?? `ns1.${zone}`;
  return Object.freeze({
    zone,
    ttl: 60,
    soa: { zone, mname, rname: soa.rname ?? `root.${mname}`, serial: 7, refresh: 60, retry: 600, expire: 86400, minimum: 60 },
    ns: [mname],
    names: new PackedNames(packed),
    existing: new PackedExisting(packed),
    packed,
    enumeration: null,
  });
}

const built = (state: unknown): RecordTable => buildTable(parseState(state), inputs({ serial: 3 }));
const many = (n: number): string[] => Array.from({ length: n }, (_, i) => `task-${i}`);
const long = 'x'.repeat(63);

const cases: [string, () => RecordTable][] = [
  ['a small cluster', () => built(smallState(5050, ['web', 'db', 'cache']))],
  ['no tasks', () => built(smallState(5050, []))],
  // Many messages; names written past offset 0x3FFF cannot be pointed at.
  ['1,500 tasks of one framework', () => built(smallState(5050, many(1500)))],
  ['2,000 tasks on 40 agents', () => buildTable(syntheticState(2000), inputs({ serial: 3 }))],
  [
    'names a build does not make: escapes, upper case, UTF-8, an empty or 64-octet label, outside the zone',
    () =>
      packedTable([
        'a\\046b.mesos. A 10.0.0.1', // one label "a.b": the generic encoder's wire form, its own suffix id
        'ab.mesos. A 10.0.0.2',
        '\\097b.mesos. A 10.0.0.3', // the same wire name as ab.mesos.
        'Upper.mesos. A 10.0.0.4', // not transferred (never answered: queries are lower-cased)
        'caf\u00e9.mesos. A 10.0.0.5',
        'CAF\u00c9.mesos. A 10.0.0.6',
        'a..mesos. A 10.0.0.7', // no wire form: skipped
        `${long}.mesos. A 10.0.0.8`,
        `${long}x.mesos. A 10.0.0.9`, // a 64-octet label: skipped
        'other.org. A 10.0.0.10', // outside the zone
        'mesos A 10.0.0.11', // relative: not in the zone
        'xmesos. A 10.0.0.15', // ends like the apex, outside it
        'bad-ip.mesos. A 10.0.0', // no wire form: skipped
        'bad-ip.mesos. A 300.0.0.1',
        'bad-ip.mesos. A 10.0.0.12',
        'v6.mesos. AAAA fd01::1',
        'v6.mesos. AAAA not-an-address',
        'v6.mesos. A 10.0.0.13',
        '_x._tcp.mesos. SRV 5 7 80 target.outside.example.', // a target whose parents the table lacks
        '_x._tcp.mesos. SRV 0 1 81 ab.mesos.',
        '_x._tcp.mesos. SRV 0 1 82 a..mesos.', // a target with no wire form: skipped
        '_x._tcp.mesos. SRV 0 1 83 a\\046b.mesos.',
        '_y._tcp.mesos. SRV 1 2 84 Target.Outside.Example.',
        'mesos. A 10.0.0.14', // at the apex, with the NS
        'mesos. SRV 0 1 85 ns1.mesos.',
      ]),
  ],
  ['an SOA MNAME and RNAME outside the zone', () => packedTable(['a.mesos. A 10.0.0.1', '_a._tcp.mesos. SRV 0 1 80 a.mesos.'], { mname: 'ns.example.org.', rname: 'hostmaster.example.org.' })],
  ['another apex', () => packedTable(['a.b.dc1.example. A 10.0.0.1', 'c.dc1.example. SRV 0 1 80 a.b.dc1.example.'], {}, 'dc1.example.')],
  [
    'a zone past 64 KiB of distinct long names (pointers only below 0x3FFF)',
    () => packedTable(Array.from({ length: 3000 }, (_, i) => `${'n'.repeat(40)}-${i}.${'f'.repeat(50)}-${i % 7}.mesos. A 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`)),
  ],
];

describe('whole-zone AXFR of a packed table: the same bytes as the generic encoder', () => {
  it.each(cases.flatMap(([what, make]) => [0, 400].map((reserve) => [what, reserve, make] as const)))('%s, %d octets reserved', (_what, reserve, make) => {
    const table = make();
    const want = generic(table, reserve);
    const got = fast(table, reserve);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      if (!got[i].equals(want[i])) throw new Error(`message ${i} of ${want.length} differs:\n got ${got[i].toString('hex')}\nwant ${want[i].toString('hex')}`);
    }
  });

  it('answers which names are in the zone for the apex asked about, when a second apex is asked', () => {
    const table = packedTable(['a.b.mesos. A 10.0.0.1', 'c.mesos. A 10.0.0.2']);
    const wire = packedWire(table.packed!);
    const c = findName(table.packed!, 'c.mesos.');
    const under = (apex: string) => [Buffer.from(apex), (n: string) => transferable(n, apex)] as const;
    expect(wire.inZone(c, ...under('mesos.'))).toBe(true);
    expect(wire.inZone(c, ...under('b.mesos.'))).toBe(false);
    expect(wire.inZone(c, ...under('mesos.'))).toBe(true);
  });

  it('is used again for the next encoding of the same table, with the same result', () => {
    const table = built(smallState(5050, many(300)));
    const first = fast(table, 400);
    expect(fast(table, 400)).toEqual(first);
    expect(fast(table, 0).length).toBe(first.length);
  });
});

describe('whole-zone AXFR of a patched table', () => {
  const config = withTyped({ ...DEFAULTS, AllowTransfer: ['127.0.0.0/8'] });
  const input: BuildInputs = { config, masters: masters(['10.0.0.1:5050']), addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 1 };
  const task = syntheticTask;

  /** Every record of the messages as text, sorted; checks each message on the way. */
  function records(messages: Buffer[], reserve: number): string[] {
    const out: string[] = [];
    messages.forEach((m, i) => {
      expect(m.length).toBeLessThanOrEqual(TCP_MAX - reserve);
      const p = dnsPacket.decode(m);
      expect(p.questions?.length).toBe(i === 0 ? 1 : 0);
      for (const a of p.answers ?? []) out.push(`${a.name} ${a.type} ${JSON.stringify((a as { data?: unknown }).data)}`);
    });
    const first = dnsPacket.decode(messages[0]).answers![0];
    const last = dnsPacket.decode(messages.at(-1)!).answers!.at(-1)!;
    expect([first.type, last.type]).toEqual(['SOA', 'SOA']);
    return out.sort();
  }

  it.each([
    ['a launch', (t: Task[]) => [...t, task('x.1', 'x', '10.9.0.1')]],
    ['a kill', (t: Task[]) => t.slice(1)],
    ['a launch joining a shared name, and two kills', (t: Task[]) => [...t.slice(2), task('y.1', t[5].name, undefined)]],
    ['every task replaced', (t: Task[]) => t.map((x, i) => task(`r.${i}`, `r${i}`, `10.8.${i >> 8}.${i & 255}`))],
  ])('%s: the same records as the generic encoder gives, in valid messages', (_what, change) => {
    const state = syntheticState(600);
    const parts = buildTableParts(state, input);
    const engine = new IncrementalTable(state, input, parts);
    const patch = engine.apply(withTasks(state, change(state.frameworks[0].tasks)), { ...input, serial: 2 });
    expect(patch?.table.overlay).toBeDefined();
    const table = patch!.table;
    for (const reserve of [0, 400]) {
      const got = fast(table, reserve);
      const want = generic(table, reserve);
      expect(got.length).toBeGreaterThan(1);
      expect(records(got, reserve)).toEqual(records(want, reserve));
    }
  });
});
