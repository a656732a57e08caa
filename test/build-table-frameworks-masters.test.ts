// buildTable's records for framework schedulers, the leader and masters, and this server's
// SOAMname in and out of the zone.
import { describe, expect, it } from '@jest/globals';
import { parseState } from '../src/mesos/parse-state.js';
import { buildTable } from '../src/records/build-table.js';
import type { RecordTable } from '../src/records/table.js';
import { parseMasterAddress } from '../src/net/address.js';
import { a, aaaa, inputs, rows, srv } from './helpers/build-table.js';
import { masters as endpoints } from './helpers/masters.js';

describe('frameworks', () => {
  const build = (frameworks: unknown[], addresses = new Map<string, string[]>()): RecordTable =>
    buildTable(parseState({ leader: 'master@10.0.0.1:5050', frameworks }), inputs({ masters: [], addresses }));

  it('uses the pid host, else the hostname, and publishes _framework._tcp only with a pid', () => {
    const t = build(
      [
        { name: 'a', pid: 'scheduler(1)@sched.example:25501', hostname: 'ignored.example' },
        { name: 'b', hostname: 'http.example' },
        { name: 'c', pid: 'scheduler(1)@[2001:db8::5]:7' },
      ],
      new Map([
        ['sched.example', ['10.0.0.5']],
        ['http.example', ['10.0.0.6']],
        ['ignored.example', ['10.0.0.99']],
      ]),
    );
    expect(a(t, 'a.mesos.')).toEqual(['10.0.0.5']);
    expect(srv(t, '_framework._tcp.a.mesos.')).toEqual(['a.mesos.:25501']);
    expect(a(t, 'b.mesos.')).toEqual(['10.0.0.6']);
    expect(t.names.has('_framework._tcp.b.mesos.')).toBe(false);
    expect(aaaa(t, 'c.mesos.')).toEqual(['2001:db8::5']);
  });

  it('publishes nothing for a framework host that did not resolve, or a name that sanitises to nothing', () => {
    const t = build([
      { name: 'lost', pid: 'scheduler(1)@nowhere.example:1' },
      { name: '$$$', pid: 'scheduler(1)@10.0.0.7:1', tasks: [] },
    ]);
    expect(t.names.has('lost.mesos.')).toBe(false);
    expect(t.names.has('_framework._tcp.lost.mesos.')).toBe(false);
    expect([...t.names.keys()].some((n) => n === '.mesos.' || n.includes('..'))).toBe(false);
    expect(t.enumeration!.map((f) => f.name)).toEqual(['lost', '$$$']);
  });
});

describe('leader, master and masterN (mesos-dns TestMasterRecord)', () => {
  const build = (leader: string, masters: string[], addresses = new Map<string, string[]>()): RecordTable =>
    buildTable(parseState({ leader }), inputs({ masters: endpoints(masters), addresses, selfAddresses: [], config: { Domain: 'foo.com' } }));
  /** Only the master/leader records, sorted, as "KIND name value". */
  const masterRows = (t: RecordTable): string[] => rows(t).filter((r) => /\t(_leader|leader|master\d*)\./.test(r)).sort();

  it('a master the config accepts as [::ffff:a.b.c.d]:port gets its records, as the A address (Go ParseIP)', () => {
    // The build used to re-parse masters with the pid rule, which refuses a bracketed IPv4-mapped
    // host, and dropped such a master; the config's parse is now the only one.
    const masters = [parseMasterAddress('[::ffff:0.0.0.8]:9').value!];
    const t = buildTable(parseState({ leader: '5@0.0.0.6:7' }), inputs({ masters, selfAddresses: [], config: { Domain: 'foo.com' } }));
    const want = ['A leader. 0.0.0.6', 'A master. 0.0.0.6', 'A master. 0.0.0.8', 'A master0. 0.0.0.8', 'A master1. 0.0.0.6'];
    expect(masterRows(t).filter((r) => r.startsWith('A\t'))).toEqual(want.map((w) => w.replace(/ /g, '\t').replace(/\.\t/, '.foo.com.\t')).sort());
  });

  it.each<[string, string, string[], string[]]>([
    ['no masters list', '5@0.0.0.6:7', [], ['A leader. 0.0.0.6', 'A master. 0.0.0.6', 'A master0. 0.0.0.6']],
    ['single master: leader and fallback', '5@0.0.0.6:7', ['0.0.0.6:7'], ['A leader. 0.0.0.6', 'A master. 0.0.0.6', 'A master0. 0.0.0.6']],
    [
      'leader not in the list gets the next index',
      '5@0.0.0.6:7',
      ['0.0.0.8:9'],
      ['A leader. 0.0.0.6', 'A master. 0.0.0.6', 'A master. 0.0.0.8', 'A master0. 0.0.0.8', 'A master1. 0.0.0.6'],
    ],
    [
      'duplicate masters use no index',
      '5@0.0.0.6:7',
      ['0.0.0.8:9', '0.0.0.8:9'],
      ['A leader. 0.0.0.6', 'A master. 0.0.0.6', 'A master. 0.0.0.8', 'A master0. 0.0.0.8', 'A master1. 0.0.0.6'],
    ],
    [
      'leader listed at the end',
      '5@0.0.0.6:7',
      ['0.0.0.8:9', '0.0.0.6:7'],
      ['A leader. 0.0.0.6', 'A master. 0.0.0.6', 'A master. 0.0.0.8', 'A master0. 0.0.0.8', 'A master1. 0.0.0.6'],
    ],
    [
      'leader listed twice',
      '5@0.0.0.6:7',
      ['0.0.0.8:9', '0.0.0.6:7', '0.0.0.6:7'],
      ['A leader. 0.0.0.6', 'A master. 0.0.0.6', 'A master. 0.0.0.8', 'A master0. 0.0.0.8', 'A master1. 0.0.0.6'],
    ],
    [
      'leader in the middle',
      '5@0.0.0.6:7',
      ['0.0.0.8:9', '0.0.0.6:7', '0.0.0.7:0'],
      ['A leader. 0.0.0.6', 'A master. 0.0.0.6', 'A master. 0.0.0.7', 'A master. 0.0.0.8', 'A master0. 0.0.0.8', 'A master1. 0.0.0.6', 'A master2. 0.0.0.7'],
    ],
    [
      'an IPv6 master',
      '5@0.0.0.6:7',
      ['0.0.0.8:9', '0.0.0.6:7', '[2001:db8::1]:0'],
      ['A leader. 0.0.0.6', 'A master. 0.0.0.6', 'A master. 0.0.0.8', 'A master0. 0.0.0.8', 'A master1. 0.0.0.6', 'AAAA master. 2001:db8::1', 'AAAA master2. 2001:db8::1'],
    ],
    ['an IPv6 leader', '5@[2001:db8::1]:7', [], ['AAAA leader. 2001:db8::1', 'AAAA master. 2001:db8::1', 'AAAA master0. 2001:db8::1']],
    [
      'a malformed masters entry is skipped without an index',
      '5@0.0.0.6:7',
      ['garbage', '0.0.0.8:9'],
      ['A leader. 0.0.0.6', 'A master. 0.0.0.6', 'A master. 0.0.0.8', 'A master0. 0.0.0.8', 'A master1. 0.0.0.6'],
    ],
  ])('%s', (_case, leader, masters, want) => {
    const t = build(leader, masters);
    const port = leader.split(':').pop();
    expect(masterRows(t)).toEqual(
      [...want.map((w) => w.replace(/ /g, '\t').replace(/\.\t/, '.foo.com.\t')), `SRV\t_leader._tcp.foo.com.\tleader.foo.com.:${port}`, `SRV\t_leader._udp.foo.com.\tleader.foo.com.:${port}`].sort(),
    );
  });

  it('resolves hostname masters and leader through addresses, skipping unresolvable ones without an index', () => {
    const addresses = new Map([
      ['m1.example', ['10.0.0.11']],
      ['m3.example', ['10.0.0.13']],
    ]);
    const t = build('master@m1.example:5050', ['m1.example:5050', 'm2.example:5050', 'm3.example:5050'], addresses);
    expect(a(t, 'leader.foo.com.')).toEqual(['10.0.0.11']);
    expect(a(t, 'master.foo.com.')).toEqual(['10.0.0.11', '10.0.0.13']);
    expect(a(t, 'master0.foo.com.')).toEqual(['10.0.0.11']);
    expect(a(t, 'master1.foo.com.')).toEqual(['10.0.0.13']);
    expect(t.names.has('master2.foo.com.')).toBe(false);
  });

  it('publishes no leader records when the leader host does not resolve', () => {
    const t = build('master@lost.example:5050', ['10.0.0.8:5050']);
    expect(t.names.has('leader.foo.com.')).toBe(false);
    expect(t.names.has('_leader._tcp.foo.com.')).toBe(false);
    expect(a(t, 'master.foo.com.')).toEqual(['10.0.0.8']);
    expect(a(t, 'master0.foo.com.')).toEqual(['10.0.0.8']);
    expect(t.names.has('master1.foo.com.')).toBe(false);
  });
});

describe('SOAMname and the zone', () => {
  it('keeps the SOAMname record when it lies outside the zone, without adding outside ancestors', () => {
    const t = buildTable(
      parseState({ leader: 'master@10.0.0.1:5050' }),
      inputs({ masters: [], selfAddresses: ['10.0.0.53', 'fe80::1', 'nonsense'], config: { Domain: 'DC1.Example', SOAMname: 'ns1.mesos.' } }),
    );
    expect(t.zone).toBe('dc1.example.');
    expect(a(t, 'ns1.mesos.')).toEqual(['10.0.0.53']);
    expect(aaaa(t, 'ns1.mesos.')).toEqual(['fe80::1']);
    expect(t.existing.has('ns1.mesos.')).toBe(true);
    expect(t.existing.has('mesos.')).toBe(false);
    expect(t.existing.has('dc1.example.')).toBe(true);
    expect(t.existing.has('leader.dc1.example.')).toBe(true);
    expect(t.ns).toEqual(['ns1.mesos.']);
  });
});
