// buildTable's task and agent records: IP sources, RFC 952 names, agents and their addresses,
// and DiscoveryInfo names and ports.
import { describe, expect, it } from '@jest/globals';
import type { IPSource } from '../src/config/schema.js';
import { parseState } from '../src/mesos/parse-state.js';
import type { MasterState } from '../src/mesos/state.js';
import { buildTable } from '../src/records/build-table.js';
import type { RecordTable } from '../src/records/table.js';
import { a, aaaa, fixtureState, inputs, rows, srv } from './helpers/build-table.js';

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
