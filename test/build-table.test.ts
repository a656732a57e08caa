import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import type { IPSource } from '../src/config/schema.js';
import { parseState, parseStateText } from '../src/mesos/parse-state.js';
import { parsePid } from '../src/mesos/pid.js';
import type { MasterState } from '../src/mesos/state.js';
import { buildTable, type BuildInputs } from '../src/records/build-table.js';
import type { RecordTable } from '../src/records/table.js';
import { masters as endpoints } from './helpers/masters.js';
import { parseMasterAddress } from '../src/net/address.js';

const fixtureText = readFileSync(new URL('./fixtures/mesos-state-fake.json', import.meta.url), 'utf8');
const expectedRows = readFileSync(new URL('./fixtures/expected-records-default.tsv', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'));

/** The fixture as mesos-dns's testRecordGenerator uses it: leader replaced by 144.76.157.37:5050. */
function fixtureState(): MasterState {
  const state = parseStateText(fixtureText);
  state.leader = parsePid('master@144.76.157.37:5050');
  return state;
}

type InputOverrides = Partial<Omit<BuildInputs, 'config'>> & { config?: Partial<Omit<Config, 'typed'>> };

function inputs(overrides: InputOverrides = {}): BuildInputs {
  return {
    masters: endpoints(['144.76.157.37:5050']),
    // the "no pid" framework is found by its hostname, which the tsv shows as 127.0.0.1
    addresses: new Map([['localhost', ['127.0.0.1']]]),
    selfAddresses: ['127.0.0.1'],
    serial: 1234,
    ...overrides,
    config: withTyped({ ...DEFAULTS, SOAMname: 'mesos-dns.mesos.', ...overrides.config }),
  };
}

/** Every record as "KIND<TAB>name<TAB>value" (SRV value = target:port), in table order. */
function rows(table: RecordTable): string[] {
  const out: string[] = [];
  for (const [name, r] of table.names) {
    for (const ip of r.a) out.push(`A\t${name}\t${ip}`);
    for (const ip of r.aaaa) out.push(`AAAA\t${name}\t${ip}`);
    for (const s of r.srv) out.push(`SRV\t${name}\t${s.target}:${s.port}`);
  }
  return out;
}

const a = (t: RecordTable, name: string): readonly string[] | undefined => t.names.get(name)?.a;
const aaaa = (t: RecordTable, name: string): readonly string[] | undefined => t.names.get(name)?.aaaa;
const srv = (t: RecordTable, name: string): string[] | undefined => t.names.get(name)?.srv.map((s) => `${s.target}:${s.port}`);

describe('buildTable on the fixture with the defaults', () => {
  const table = buildTable(fixtureState(), inputs());
  const got = rows(table);

  it('produces exactly the records mesos-dns produced (expected-records-default.tsv)', () => {
    const want = new Set(expectedRows);
    const have = new Set(got);
    expect(got.filter((r) => !want.has(r))).toEqual([]); // nothing extra
    expect(expectedRows.filter((r) => !have.has(r))).toEqual([]); // nothing missing
    expect(got.length).toBe(have.size); // no duplicate values under a name
    expect(got.length).toBe(expectedRows.length);
  });

  it('has no name without records, and only absolute names', () => {
    for (const [name, r] of table.names) {
      expect(r.a.length + r.aaaa.length + r.srv.length).toBeGreaterThan(0);
      expect(name.endsWith('.')).toBe(true);
    }
  });

  it('gives every SRV priority 0 and the configured weight', () => {
    const all = [...table.names.values()].flatMap((r) => r.srv);
    expect(all.length).toBeGreaterThan(0);
    for (const s of all) expect([s.priority, s.weight]).toEqual([0, 1]);
    const weighted = buildTable(fixtureState(), inputs({ config: { SRVRecordDefaultWeight: 7 } }));
    expect(weighted.names.get('_leader._tcp.mesos.')!.srv[0]).toEqual({ target: 'leader.mesos.', port: 5050, priority: 0, weight: 7 });
  });

  it('fills zone, ttl, SOA and NS from the config and inputs, and freezes the table', () => {
    expect(table.zone).toBe('mesos.');
    expect(table.ttl).toBe(60);
    expect(table.soa).toEqual({
      zone: 'mesos.',
      mname: 'mesos-dns.mesos.',
      rname: 'root.ns1.mesos.',
      serial: 1234,
      refresh: 60,
      retry: 600,
      expire: 86400,
      minimum: 60, // the TTL, not SOAMinttl
    });
    expect(table.ns).toEqual(['mesos-dns.mesos.']);
    expect(Object.isFrozen(table)).toBe(true);
    expect(Object.isFrozen(table.soa)).toBe(true);
    const ttl30 = buildTable(fixtureState(), inputs({ config: { TTL: 30 } }));
    expect([ttl30.ttl, ttl30.soa.minimum]).toEqual([30, 30]);
  });

  it('keeps the legacy unsanitised DiscoveryInfo set next to the sanitised one', () => {
    expect(a(table, 'liquor.store.marathon.mesos.')).toEqual(['1.2.3.11', '1.2.3.12']);
    expect(a(table, 'liquor-store.marathon.mesos.')).toEqual(['1.2.3.11', '1.2.3.12']);
    expect(srv(table, '_liquor.store._tcp.marathon.mesos.')).toEqual([
      'liquor.store-4dfjd-0.marathon.mesos.:80',
      'liquor.store-4dfjd-0.marathon.mesos.:443',
      'liquor.store-zasmd-1.marathon.mesos.:80',
      'liquor.store-zasmd-1.marathon.mesos.:443',
    ]);
    // DI tasks publish resource ports only under .slave., and no _udp without a udp DI port
    expect(table.names.get('_liquor-store._udp.marathon.mesos.')).toBeUndefined();
    expect(srv(table, '_liquor-store._udp.marathon.slave.mesos.')).toHaveLength(4);
  });

  it('records values under a name in insertion order (agents in state order)', () => {
    expect(a(table, 'slave.mesos.')).toEqual(['1.2.3.10', '1.2.3.11', '1.2.3.12']);
    expect(srv(table, '_car-store._tcp.marathon.mesos.')).toEqual([
      'car-store-zinaz-0.marathon.slave.mesos.:31364',
      'car-store-zinaz-0.marathon.slave.mesos.:31365',
    ]);
  });

  it('leaves out tasks that are not TASK_RUNNING', () => {
    expect(table.names.has('poseidon-bc4e3796-2d7a-11e4-b8df-d43d7edb01cd.marathon.mesos.')).toBe(false);
    expect(got.some((r) => r.includes('poseidon'))).toBe(false);
  });

  it('knows every owner, every empty non-terminal inside the zone, and the apex', () => {
    for (const name of table.names.keys()) expect(table.existing.has(name)).toBe(true);
    for (const ent of [
      'mesos.',
      '_tcp.marathon.mesos.',
      '_udp.marathon.slave.mesos.',
      'marathon.slave.mesos.',
      'slave.mesos.',
      '_tcp.mesos.',
      '_liquor-store._tcp.marathon.mesos.',
      'store.marathon.mesos.', // parent of the legacy liquor.store.marathon.mesos.
      'ipv6-framework.slave.mesos.',
    ]) {
      expect(table.existing.has(ent)).toBe(true);
    }
    for (const absent of ['nothere.mesos.', 'marathon.', 'slave.marathon.mesos.', '_udp.marathon.mesos.x.', 'com.']) {
      expect(table.existing.has(absent)).toBe(false);
    }
    expect(table.names.has('_tcp.marathon.mesos.')).toBe(false);
    // size and iteration agree with has()
    const listed = [...table.existing];
    expect(new Set(listed).size).toBe(listed.length);
    expect(table.existing.size).toBe(listed.length);
    expect(listed.every((n) => table.existing.has(n))).toBe(true);
  });

  it('enumerates frameworks in state order with their generated tasks', () => {
    const e = table.enumeration!;
    expect(e.map((f) => f.name)).toEqual(['ipv6-framework', 'chronos with a space AND MIXED CASE-2.0.1', 'no pid', 'marathon']);
    expect(e[2].tasks).toEqual([]);
    expect(e[3].tasks.map((t) => t.name)).toEqual([
      'liquor.store',
      'big.dog2',
      'non-human-readable-liquor-store',
      'car.store',
      'chronos',
      'nginx',
      'reviewbot',
    ]);
    const liquor = e[3].tasks[0];
    expect(liquor.id).toBe('liquor-store.b8db9f73-562f-11e4-a088-c20493233aa5');
    // legacy names first, A before SRV, in mesos-dns's insertion order
    expect(liquor.records!.slice(0, 5)).toEqual([
      { name: 'liquor.store.marathon.mesos.', host: '1.2.3.11', rtype: 'A' },
      { name: 'liquor.store-4dfjd-0.marathon.mesos.', host: '1.2.3.11', rtype: 'A' },
      { name: 'liquor.store.marathon.slave.mesos.', host: '1.2.3.11', rtype: 'A' },
      { name: 'liquor.store-4dfjd-0.marathon.slave.mesos.', host: '1.2.3.11', rtype: 'A' },
      { name: '_liquor.store._tcp.marathon.slave.mesos.', host: 'liquor.store-4dfjd-0.marathon.slave.mesos.:31354', rtype: 'SRV' },
    ]);
    const toy = e[0].tasks[0].records!;
    expect(toy.filter((r) => r.rtype === 'AAAA').map((r) => r.host)).toEqual(['fd01:b::1:8000:2', 'fd01:b::1:8000:2', '2001:db8::1', '2001:db8::1']);
    // leader, master, agent, framework and self records are not task records
    const allNames = e.flatMap((f) => f.tasks.flatMap((t) => (t.records ?? []).map((r) => r.name)));
    for (const n of ['leader.mesos.', 'master.mesos.', 'slave.mesos.', 'marathon.mesos.', 'mesos-dns.mesos.']) expect(allNames).not.toContain(n);
    // every enumerated row is a record of the table
    const have = new Set(got);
    for (const f of e) for (const t of f.tasks) for (const r of t.records ?? []) expect(have.has(`${r.rtype}\t${r.name}\t${r.host}`)).toBe(true);
    // JSON shape as /v1/enumerate prints it
    expect(JSON.parse(JSON.stringify(e))[2]).toEqual({ name: 'no pid', tasks: [] });
  });

  it('is deterministic', () => {
    expect(rows(buildTable(fixtureState(), inputs()))).toEqual(got);
  });
});

describe('enumeration edge cases', () => {
  it('is null without frameworks, and a task that adds nothing new has records null', () => {
    const base = { leader: 'master@10.0.0.1:5050', slaves: [{ id: 'a-S0', pid: 'slave(1)@10.0.0.2:5051' }] };
    expect(buildTable(parseState(base), inputs({ masters: [] })).enumeration).toBeNull();
    const task = { id: 'web.1', name: 'web', slave_id: 'a-S0', state: 'TASK_RUNNING' };
    const t = buildTable(parseState({ ...base, frameworks: [{ name: 'fw', tasks: [task, task] }] }), inputs({ masters: [] }));
    const [first, second] = t.enumeration![0].tasks;
    expect(first.records).toHaveLength(4);
    expect(second).toEqual({ name: 'web', id: 'web.1', records: null });
  });
});

describe('IP sources (HEAD: every IP of the first source that yields any)', () => {
  const build = (sources: IPSource[]): RecordTable => buildTable(fixtureState(), inputs({ config: { IPSources: sources } }));
  it.each<[IPSource[], string, string[] | undefined, string[] | undefined]>([
    [['netinfo', 'docker', 'mesos', 'host'], 'big-dog.marathon.mesos.', ['10.3.0.1'], undefined],
    [['netinfo', 'docker', 'mesos', 'host'], 'liquor-store.marathon.mesos.', ['10.3.0.1', '10.3.0.2'], undefined],
    [['netinfo', 'docker', 'mesos', 'host'], 'nginx.marathon.mesos.', ['10.3.0.3'], undefined],
    [['netinfo', 'docker', 'mesos', 'host'], 'toy-store.ipv6-framework.mesos.', ['12.0.1.3', '12.0.1.2'], ['fd01:b::1:8000:2']],
    [['host'], 'liquor-store.marathon.mesos.', ['1.2.3.11', '1.2.3.12'], undefined],
    [['host'], 'nginx.marathon.mesos.', ['1.2.3.11'], undefined],
    [['host'], 'toy-store.ipv6-framework.mesos.', undefined, ['2001:db8::1']],
    [['mesos', 'host'], 'liquor-store.marathon.mesos.', ['1.2.3.11', '1.2.3.12'], undefined],
    [['mesos', 'host'], 'nginx.marathon.mesos.', ['10.3.0.3'], undefined],
    [['docker', 'host'], 'liquor-store.marathon.mesos.', ['10.3.0.1', '10.3.0.2'], undefined],
    [['docker', 'host'], 'nginx.marathon.mesos.', ['1.2.3.11'], undefined],
    // netinfo only: tasks without container IPs get no task A record at all
    [['netinfo'], 'toy-store.ipv6-framework.mesos.', ['12.0.1.3', '12.0.1.2'], ['fd01:b::1:8000:2']],
    [['netinfo'], 'nginx.marathon.mesos.', undefined, undefined],
  ])('%j: %s', (sources, name, wantA, wantAAAA) => {
    const t = build(sources);
    const rec = t.names.get(name);
    expect(rec?.a.length ? [...rec.a] : undefined).toEqual(wantA);
    expect(rec?.aaaa.length ? [...rec.aaaa] : undefined).toEqual(wantAAAA);
    // the agent names never depend on IPSources
    expect(a(t, 'nginx.marathon.slave.mesos.')).toEqual(['1.2.3.11']);
  });

  it('takes the label of the newest RUNNING status only, never an older one', () => {
    const state = parseState({
      leader: 'master@10.0.0.1:5050',
      slaves: [{ id: 'a-S0', pid: 'slave(1)@10.0.0.2:5051' }],
      frameworks: [
        {
          name: 'fw',
          tasks: [
            {
              id: 't',
              name: 'web',
              slave_id: 'a-S0',
              state: 'TASK_RUNNING',
              statuses: [
                { state: 'TASK_RUNNING', timestamp: 1, labels: [{ key: 'Docker.NetworkSettings.IPAddress', value: '10.9.9.9' }] },
                { state: 'TASK_RUNNING', timestamp: 2, labels: [{ key: 'Docker.NetworkSettings.IPAddress', value: 'not-an-ip' }] },
              ],
            },
          ],
        },
      ],
    });
    const t = buildTable(state, inputs({ masters: [], config: { IPSources: ['docker', 'host'] } }));
    expect(a(t, 'web.fw.mesos.')).toEqual(['10.0.0.2']); // not-an-ip is skipped, so docker yields nothing
  });
});

describe('RFC 952 names (EnforceRFC952)', () => {
  const t = buildTable(fixtureState(), inputs({ config: { EnforceRFC952: true } }));
  it.each<[string, string]>([
    ['some-box.chronoswithaspaceandmixe.mesos.', '1.2.3.11'],
    ['chronoswithaspaceandmixe.mesos.', '1.2.3.12'],
    ['liquor-store.marathon.mesos.', '1.2.3.11'],
    ['nopid.mesos.', '127.0.0.1'],
  ])('%s A %s', (name, ip) => {
    expect(a(t, name)).toContain(ip);
  });
  it('cuts long labels at 24 characters', () => {
    expect(t.names.has('some-box.chronoswithaspaceandmixedcase-2.0.1.mesos.')).toBe(false);
    expect(srv(t, '_framework._tcp.chronoswithaspaceandmixe.mesos.')).toEqual(['chronoswithaspaceandmixe.mesos.:25501']);
  });
});

describe('tasks and agents', () => {
  const state = (extra: Record<string, unknown> = {}): MasterState =>
    parseState({
      leader: 'master@10.0.0.1:5050',
      slaves: [
        { id: 'a-S0', pid: 'slave(1)@10.0.0.2:5051' },
        { id: 'a-S1', pid: 'slave(1)@agent-1.example:5052' },
        { id: 'a-S2', pid: 'slave(1)@gone.example:5051' },
      ],
      ...extra,
    });
  const task = (over: Record<string, unknown>): Record<string, unknown> => ({ id: 'web.1', name: 'web', slave_id: 'a-S0', state: 'TASK_RUNNING', ...over });
  const addresses = new Map([
    ['localhost', ['127.0.0.1']],
    ['agent-1.example', ['10.0.1.1', '2001:db8::11']],
  ]);

  it('skips a task whose agent is not in the state', () => {
    const t = buildTable(state({ frameworks: [{ name: 'fw', tasks: [task({ slave_id: 'a-S9', resources: { ports: '[80-80]' } })] }] }), inputs({ masters: [], addresses }));
    expect(rows(t).filter((r) => r.includes('web'))).toEqual([]);
    expect(t.enumeration![0].tasks).toEqual([]);
  });

  it('resolves agent hostnames through the addresses map, every address', () => {
    const t = buildTable(state({ frameworks: [{ name: 'fw', tasks: [task({ slave_id: 'a-S1' })] }] }), inputs({ masters: [], addresses }));
    expect(a(t, 'slave.mesos.')).toEqual(['10.0.0.2', '10.0.1.1']);
    expect(aaaa(t, 'slave.mesos.')).toEqual(['2001:db8::11']);
    expect(srv(t, '_slave._tcp.mesos.')).toEqual(['slave.mesos.:5051', 'slave.mesos.:5052']);
    expect(a(t, 'web.fw.slave.mesos.')).toEqual(['10.0.1.1']);
    expect(aaaa(t, 'web.fw.mesos.')).toEqual(['2001:db8::11']); // host source: every agent address
  });

  it('lets an unresolvable agent contribute no addresses (unlike mesos-dns issue #509)', () => {
    const t = buildTable(
      state({ frameworks: [{ name: 'fw', tasks: [task({ slave_id: 'a-S2', resources: { ports: '[8080-8080]' } })] }] }),
      inputs({ masters: [], addresses }),
    );
    expect(a(t, 'slave.mesos.')).toEqual(['10.0.0.2', '10.0.1.1']);
    expect(t.names.has('web.fw.slave.mesos.')).toBe(false);
    expect(t.names.has('web.fw.mesos.')).toBe(false); // the host source yields nothing
    expect(rows(t).some((r) => r.includes('gone'))).toBe(false);
    // the task is still generated: its SRV records exist
    expect(srv(t, '_web._tcp.fw.slave.mesos.')).toEqual([expect.stringMatching(/^web-[a-z0-9]{5}-s2\.fw\.slave\.mesos\.:8080$/)]);
  });

  it('uses the lower-cased last field of the agent id in canonical names', () => {
    const t = buildTable(parseState({ leader: 'master@10.0.0.1:5050', slaves: [{ id: 'X-Y-S12', pid: 'slave(1)@10.0.0.2:5051' }], frameworks: [{ name: 'fw', tasks: [task({ slave_id: 'X-Y-S12' })] }] }), inputs({ masters: [] }));
    expect([...t.names.keys()].filter((n) => /^web-.{5}-s12\.fw\.mesos\.$/.test(n))).toHaveLength(1);
  });

  it('de-duplicates values under busy names (many tasks, many ports)', () => {
    const slaves = Array.from({ length: 60 }, (_, i) => ({ id: `a-S${i}`, pid: `slave(1)@10.1.0.${i}:5051` }));
    const tasks = Array.from({ length: 120 }, (_, i) => task({ id: `web.${i % 60}`, slave_id: `a-S${i % 60}`, resources: { ports: '[31000-31001]' } }));
    const t = buildTable(parseState({ leader: 'master@10.0.0.1:5050', slaves, frameworks: [{ name: 'fw', tasks }] }), inputs({ masters: [] }));
    expect(a(t, 'web.fw.mesos.')).toEqual(slaves.map((_, i) => `10.1.0.${i}`));
    expect(srv(t, '_web._tcp.fw.mesos.')).toHaveLength(120);
    expect(new Set(srv(t, '_web._tcp.fw.mesos.')).size).toBe(120);
    // the second 60 tasks repeat the first 60 exactly, so they add nothing
    expect(t.enumeration![0].tasks.slice(60).every((e) => e.records === null)).toBe(true);
  });
});

describe('DiscoveryInfo', () => {
  const build = (discovery: Record<string, unknown>): RecordTable =>
    buildTable(
      parseState({
        leader: 'master@10.0.0.1:5050',
        slaves: [{ id: 'a-S0', pid: 'slave(1)@10.0.0.2:5051' }],
        frameworks: [{ name: 'My.Fw', tasks: [{ id: 't', name: 'task', slave_id: 'a-S0', state: 'TASK_RUNNING', resources: { ports: '[31000-31000]' }, discovery }] }],
      }),
      inputs({ masters: [] }),
    );

  it('publishes an empty protocol under both _tcp and _udp, and sanitises protocol and port names', () => {
    const t = build({ name: 'svc', ports: { ports: [{ number: 53, protocol: '', name: 'Dns_Port' }, { number: 80, protocol: 'TCP' }] } });
    expect(srv(t, '_svc._tcp.my.fw.mesos.')?.map((v) => v.split(':')[1])).toEqual(['53', '80']);
    expect(srv(t, '_svc._udp.my.fw.mesos.')?.map((v) => v.split(':')[1])).toEqual(['53']);
    expect(srv(t, '_dns-port._svc._tcp.my.fw.mesos.')).toHaveLength(1);
    expect(srv(t, '_dns-port._svc._udp.my.fw.mesos.')).toHaveLength(1);
    expect(srv(t, '_svc._tcp.my.fw.mesos.')![0]).toMatch(/^svc-[a-z0-9]{5}-s0\.my\.fw\.mesos\.:53$/); // non-slave canonical target
  });

  it('stores an upper-case legacy name as given, next to the sanitised one', () => {
    const t = build({ name: 'Svc.One', ports: { ports: [{ number: 80, protocol: 'tcp', name: 'http' }] } });
    expect(a(t, 'Svc.One.my.fw.mesos.')).toEqual(['10.0.0.2']);
    expect(a(t, 'svc-one.my.fw.mesos.')).toEqual(['10.0.0.2']);
    expect(srv(t, '_http._Svc.One._tcp.my.fw.mesos.')).toHaveLength(1);
    expect(t.names.has('_task._tcp.my.fw.mesos.')).toBe(false); // the DI name replaces the task name
  });

  it('skips a legacy name that would contain an empty label, keeping the sanitised one', () => {
    const t = build({ name: '.svc', ports: { ports: [] } });
    expect([...t.names.keys()].some((n) => n.startsWith('.') || n.includes('..'))).toBe(false);
    expect(a(t, 'svc.my.fw.mesos.')).toEqual(['10.0.0.2']);
  });
});

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
