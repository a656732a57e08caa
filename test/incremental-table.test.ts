// The incremental table (src/records/incremental/): random initial states and random event
// sequences, applied to the stream's LiveState and patched into the table one snapshot at a
// time, must give exactly the table a fresh build makes from the same state: every name's
// records in order, the names that exist, the PTRs and reverse zones, and /v1/enumerate.
// INCREMENTAL_RUNS=N runs the property N times.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LiveState } from '../src/mesos/live-state.js';
import type { Agent, Framework, MasterState, Task } from '../src/mesos/state.js';
import { buildTable, buildTableParts, type BuildInputs } from '../src/records/build-table.js';
import { firstDifference } from '../src/records/incremental/compare-tables.js';
import { IncrementalTable } from '../src/records/incremental/incremental-table.js';
import type { RecordTable } from '../src/records/table.js';
import { inputs } from './helpers/build-table.js';

const RUNS = Number(process.env.INCREMENTAL_RUNS ?? 60);

const AGENT_IDS = ['c1-S0', 'c1-S1', 'c1-S2', 'c1-S3'];
const AGENT_HOSTS = ['10.0.0.1', '10.0.0.2', 'fd00::2', '10.0.0.3'];
const TASK_NAMES = ['web', 'db', 'web.prod', 'API Server', 'web'];
const CONTAINER_IPS = ['172.16.0.1', '172.16.0.2', '172.16.1.9', 'fd01:b::1:1', 'fd01:b::2:7', '10.0.0.1'];

const agentArb = (i: number): fc.Arbitrary<Agent> =>
  fc.record({ hasPid: fc.boolean(), host: fc.constantFrom(...AGENT_HOSTS) }).map(({ hasPid, host }) => ({
    id: AGENT_IDS[i],
    hostname: host,
    ...(hasPid || i === 0 ? { pid: { name: 'slave(1)', host, port: 5051 } } : {}),
  }));

const taskArb = (frameworkId: string): fc.Arbitrary<Task> =>
  fc
    .record({
      id: fc.constantFrom('t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8'),
      name: fc.constantFrom(...TASK_NAMES),
      agent: fc.constantFrom(...AGENT_IDS, 'c1-S9'),
      state: fc.constantFrom('TASK_RUNNING', 'TASK_RUNNING', 'TASK_RUNNING', 'TASK_STAGING'),
      ports: fc.subarray([31000, 31001, 8080]),
      discovery: fc.option(
        fc.record({
          name: fc.constantFrom('web', 'Web Svc', '.x', 'db'),
          ports: fc.array(fc.record({ number: fc.constantFrom(80, 443, 9000), protocol: fc.constantFrom('tcp', 'UDP', ''), name: fc.constantFrom('http', '', 'metrics') }), { maxLength: 2 }),
        }),
        { nil: undefined },
      ),
      ips: fc.subarray(CONTAINER_IPS, { maxLength: 3 }),
      // the newest RUNNING status's health check result (HealthPolicy reads it; absent: no check)
      healthy: fc.constantFrom(undefined, true, false),
      // per-task address choice (docs/addresses.md): CNI network names, a MESOS_DNS_IP_SOURCES label, host ports
      networks: fc.constantFrom(undefined, 'dcos', 'other'),
      ipSourcesLabel: fc.constantFrom(undefined, undefined, 'host', 'netinfo,host', 'bogus'),
      hostPorts: fc.boolean(),
      // a pod task's host ports in its status, and a container that lists its own (then those do not count)
      statusPorts: fc.boolean(),
      ownPortMappings: fc.boolean(),
      // Minuteman VIP labels (DcosNames: l4lb names shared across tasks and frameworks)
      vips: fc.subarray(
        [
          { vip: '/web:80', protocol: 'tcp', port: 8080, hostPort: false },
          { vip: '/web:80', protocol: 'tcp', port: 31000, hostPort: true },
          { vip: 'db.prod:5432', protocol: 'udp', port: 5432, hostPort: false },
          { vip: '10.9.9.9:80', protocol: 'tcp', port: 80, hostPort: false },
          // a named VIP (fd009) on the port a pod's status maps
          { vip: '[fd00::9]:80', protocol: 'tcp', port: 8080, hostPort: false },
        ],
        { maxLength: 3 },
      ),
    })
    .map((t) => ({
      id: t.id,
      name: t.name,
      frameworkId,
      agentId: t.agent,
      state: t.state,
      ports: t.ports,
      ...(t.discovery ? { discovery: t.discovery } : {}),
      running: {
        timestamp: 1,
        networkIPs: t.ips,
        ...(t.networks === undefined ? {} : { networkNames: t.ips.map((_, k) => (k === 0 ? t.networks! : 'dcos')) }),
        mesosLabelIPs: [],
        dockerLabelIPs: [],
        ...(t.healthy === undefined ? {} : { healthy: t.healthy }),
        // the pod's mapping of container port 8080, which moves a VIP on it to host port 31001 (taskVips)
        ...(t.statusPorts ? { portMapped: true as const, portMappings: [{ containerPort: 8080, hostPort: 31001, protocol: 'tcp' as const }] } : {}),
      },
      ...(t.ipSourcesLabel === undefined && !t.hostPorts && !t.ownPortMappings && t.vips.length === 0
        ? {}
        : {
            addressing: {
              hostPorts: t.hostPorts,
              ...(t.ownPortMappings ? { ownPortMappings: true as const } : {}),
              ...(t.ipSourcesLabel === undefined ? {} : { ipSources: t.ipSourcesLabel }),
              ...(t.vips.length === 0 ? {} : { vips: t.vips }),
            },
          }),
    }));

const frameworkArb = (i: number): fc.Arbitrary<Framework> =>
  fc.record({ name: fc.constantFrom('marathon', 'chronos', 'marathon', 'My Fw'), tasks: fc.array(taskArb(`fw${i}`), { maxLength: 6 }) }).map(({ name, tasks }) => ({
    id: `fw${i}`,
    name,
    hostname: `10.0.1.${i}`,
    pid: { name: 'scheduler', host: `10.0.1.${i}`, port: 8080 },
    // a task id once per framework, as the master has it
    tasks: tasks.filter((t, k) => tasks.findIndex((u) => u.id === t.id) === k),
  }));

const stateArb: fc.Arbitrary<MasterState> = fc
  .record({
    agents: fc.tuple(agentArb(0), agentArb(1), agentArb(2)),
    frameworks: fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => frameworkArb(i)))),
  })
  .map(({ agents, frameworks }) => ({ leader: { name: 'master', host: '10.0.9.1', port: 5050 }, agents: [...agents], frameworks: [...frameworks] }));

type Event =
  | { kind: 'putTask'; fw: number; task: Task }
  | { kind: 'removeTask'; fw: number; id: string }
  | { kind: 'putFramework'; fw: number; name: string }
  | { kind: 'removeFramework'; fw: number }
  | { kind: 'putAgent'; agent: Agent }
  | { kind: 'removeAgent'; id: string };

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 3 }).chain((fw) => taskArb(`fw${fw}`).map((task): Event => ({ kind: 'putTask', fw, task }))) },
  { weight: 4, arbitrary: fc.record({ fw: fc.integer({ min: 0, max: 3 }), id: fc.constantFrom('t1', 't2', 't3', 't4', 't5') }).map((e): Event => ({ kind: 'removeTask', ...e })) },
  { weight: 1, arbitrary: fc.record({ fw: fc.integer({ min: 0, max: 3 }), name: fc.constantFrom('marathon', 'other') }).map((e): Event => ({ kind: 'putFramework', ...e })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((fw): Event => ({ kind: 'removeFramework', fw })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).chain((i) => agentArb(i)).map((agent): Event => ({ kind: 'putAgent', agent })) },
  { weight: 1, arbitrary: fc.constantFrom(...AGENT_IDS).map((id): Event => ({ kind: 'removeAgent', id })) },
);

function applyTo(live: LiveState, e: Event): void {
  switch (e.kind) {
    case 'putTask':
      live.putTask(e.task);
      break;
    case 'removeTask':
      live.removeTask(`fw${e.fw}`, e.id);
      break;
    case 'putFramework':
      live.putFramework({ id: `fw${e.fw}`, name: e.name, hostname: `10.0.1.${e.fw}`, pid: { name: 'scheduler', host: `10.0.1.${e.fw}`, port: 8080 }, tasks: [] });
      break;
    case 'removeFramework':
      live.removeFramework(`fw${e.fw}`);
      break;
    case 'putAgent':
      live.putAgent(e.agent);
      break;
    case 'removeAgent':
      live.removeAgent(e.id);
      break;
  }
}

/** Every record of the table as text, names in sorted order (the overlay lists new names last). */
function records(t: RecordTable): string[] {
  return [...t.names].map(([name, r]) => `${name} ${r.a.join(',')} ${r.aaaa.join(',')} ${r.srv.map((s) => `${s.target}:${s.port}:${s.weight}`).join(',')}`).sort();
}

/** Runs the events; returns how many snapshots were patched and how many were built in full. */
/**
 * How each published state relates to the last: the stream's (with its change log), a copy
 * without the log (task lists compared by identity), or a copy of every agent, framework and task
 * (a new subscription's snapshot, or the first after a poll: unchanged tasks compared by content).
 */
type Relation = 'log' | 'lists' | 'copies';

/** `snap` as a new document gives it: every object new, no change log. */
function copied(snap: MasterState): MasterState {
  return {
    leader: { ...snap.leader },
    agents: snap.agents.map((a) => structuredClone(a)),
    frameworks: snap.frameworks.map((fw) => ({ ...structuredClone({ ...fw, tasks: [] }), tasks: Array.from(fw.tasks, (t) => structuredClone(t)) })),
  };
}

function run(initial: MasterState, batches: Event[][], input: BuildInputs, check: (patched: RecordTable, fresh: RecordTable) => void, relation: Relation = 'log'): { patched: number; full: number } {
  const useLog = relation === 'log';
  const live = new LiveState({ master: initial, waitingTasks: [] });
  let state = live.snapshot().master;
  let engine = new IncrementalTable(state, input, buildTableParts(state, input));
  let serial = input.serial;
  const counts = { patched: 0, full: 0 };
  // Each batch is what the stream coalesces into one published state.
  for (const batch of batches) {
    for (const e of batch) applyTo(live, e);
    const snap = live.snapshot().master;
    if (snap === state || (!useLog && snap.frameworks === state.frameworks && snap.agents === state.agents)) continue;
    // A copy leaves out the stream's change log (as a polled state has none): task lists are compared.
    const next = useLog ? snap : relation === 'copies' ? copied(snap) : { ...snap };
    state = next;
    const at = { ...input, serial: ++serial };
    const patch = engine.apply(state, at);
    if (patch === undefined) {
      counts.full++;
      engine = new IncrementalTable(state, at, buildTableParts(state, at));
      continue;
    }
    counts.patched++;
    check(patch.table, buildTable(state, at));
  }
  return counts;
}

function checkEqual(patched: RecordTable, fresh: RecordTable): void {
  expect(firstDifference(patched, fresh)).toBeUndefined();
  expect(patched.health).toEqual(fresh.health);
  expect(records(patched)).toEqual(records(fresh));
  expect(patched.enumeration).toEqual(fresh.enumeration);
  expect([...patched.existing].sort()).toEqual([...fresh.existing].sort());
  expect([...(patched.reverse?.ptr ?? [])].sort()).toEqual([...(fresh.reverse?.ptr ?? [])].sort());
  expect([...(patched.reverse?.zones ?? [])].sort()).toEqual([...(fresh.reverse?.zones ?? [])].sort());
}

describe('incremental table', () => {
  it.each([
    ['PTRs on, derived reverse zones', {}],
    ['PTRs off', { PtrOn: false }],
    ['configured reverse zones', { ReverseZones: ['172.16.0.0/24', 'fd01:b::/64'] }],
    // Nested zones, and names between an owner and its zone (counted per name as owners come and go)
    ['nested configured reverse zones', { ReverseZones: ['172.16.0.0/16', '172.16.1.0/24', 'fd01::/16', 'fd01:b::/64'] }],
    ['RFC 952 names, host IPs first', { EnforceRFC952: true, IPSources: ['host', 'netinfo'] as const }],
    ['without the change log (task lists compared)', { relation: 'lists' }],
    // Half the runs: every published state is a copy of every object, so each run costs twice.
    ['every object new (a new subscription: tasks compared by content)', { relation: 'copies', runs: Math.ceil(RUNS / 2) }],
    ['every object new, HealthPolicy only-healthy, DcosNames', { relation: 'copies', runs: Math.ceil(RUNS / 2), HealthPolicy: 'only-healthy', DcosNames: true }],
    ['AddressPolicy auto, IPNetworks', { AddressPolicy: 'auto', IPNetworks: ['dcos'] }],
    ['IPNetworks with IPSources netinfo first', { IPNetworks: ['other'], IPSources: ['netinfo', 'host'] as const }],
    // HealthPolicy: random `healthy` values; a failing task's shared names and the per-name fallback
    ['HealthPolicy exclude-unhealthy', { HealthPolicy: 'exclude-unhealthy' }],
    ['HealthPolicy only-healthy', { HealthPolicy: 'only-healthy' }],
    ['HealthPolicy only-healthy without the change log', { HealthPolicy: 'only-healthy', relation: 'lists' }],
    // DcosNames: the second zone, VIP names shared across tasks and frameworks
    ['DcosNames', { DcosNames: true }],
    ['DcosNames with HealthPolicy exclude-unhealthy, IPNetworks', { DcosNames: true, HealthPolicy: 'exclude-unhealthy', IPNetworks: ['dcos'] }],
  ])('a patched table equals a fresh build after every event (%s)', (_, config) => {
    const { relation, runs = RUNS, ...rest } = config as { relation?: Relation; runs?: number };
    const input = inputs({ config: rest as never });
    let patched = 0;
    let full = 0;
    fc.assert(
      fc.property(stateArb, fc.array(fc.array(eventArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 15 }), (initial, events) => {
        const counts = run(initial, events, input, checkEqual, relation);
        patched += counts.patched;
        full += counts.full;
      }),
      { numRuns: runs },
    );
    // task, agent and framework events are all patched, not rebuilt (a task id twice aside)
    expect(patched).toBeGreaterThan(runs);
    expect(full).toBe(0);
  });

  it('patches a launch into a name shared with other tasks, in build order', () => {
    const input = inputs();
    const task = (id: string, ip: string): Task => ({ id, name: 'web', frameworkId: 'fw0', agentId: 'c1-S0', state: 'TASK_RUNNING', ports: [31000], running: { timestamp: 1, networkIPs: [ip], mesosLabelIPs: [], dockerLabelIPs: [] } });
    const initial: MasterState = {
      leader: { name: 'master', host: '10.0.9.1', port: 5050 },
      agents: [{ id: 'c1-S0', hostname: '10.0.0.1', pid: { name: 'slave(1)', host: '10.0.0.1', port: 5051 } }],
      frameworks: [{ id: 'fw0', name: 'marathon', hostname: 'h', tasks: [task('a', '172.16.0.1'), task('b', '172.16.0.2')] }],
    };
    const live = new LiveState({ master: initial, waitingTasks: [] });
    const engine = new IncrementalTable(initial, input, buildTableParts(initial, input));
    live.putTask(task('a', '172.16.0.3')); // an update in place keeps its place: first
    live.putTask(task('c', '172.16.0.1')); // a launch comes last; its address repeats a's old one
    live.putTask(task('d', '172.16.0.9')); // and a second launch in the same batch after it
    const state = live.snapshot().master;
    const patch = engine.apply(state, input);
    expect(patch).toBeDefined();
    expect(patch!.table.names.get('web.marathon.mesos.')?.a).toEqual(['172.16.0.3', '172.16.0.2', '172.16.0.1', '172.16.0.9']);
    expect(patch!.touched).toContain('web.marathon.mesos.');
    expect(patch!.table.reverse?.ptr.get('1.0.16.172.in-addr.arpa.')?.[1]).toBe('web.marathon.mesos.');
    checkEqual(patch!.table, buildTable(state, input));
  });

  it('keeps an empty non-terminal whose last child goes while another arrives in one patch', () => {
    // Found by the property above: `_tcp.marathon.slave.mesos.` lost one child and gained another,
    // and its parent `marathon.slave.mesos.` must go when the last task under it does.
    const t = (id: string, fw: string, name: string, state: string, ports: number[], agentId = 'c1-S0', discovery?: Task['discovery']): Task => ({
      id, name, frameworkId: fw, agentId, state, ports, ...(discovery ? { discovery } : {}), running: { timestamp: 1, networkIPs: [], mesosLabelIPs: [], dockerLabelIPs: [] },
    });
    const fw = (id: string): Framework => ({ id, name: 'marathon', hostname: '10.0.1.0', pid: { name: 'scheduler', host: '10.0.1.0', port: 8080 }, tasks: [] });
    const initial: MasterState = { leader: { name: 'master', host: '10.0.9.1', port: 5050 }, agents: [{ id: 'c1-S0', hostname: '10.0.0.1', pid: { name: 'slave(1)', host: '10.0.0.1', port: 5051 } }], frameworks: [fw('fw0'), fw('fw1')] };
    const batches: Event[][] = [
      [{ kind: 'putTask', fw: 1, task: t('t1', 'fw1', 'web', 'TASK_RUNNING', [8080]) }, { kind: 'putTask', fw: 0, task: t('t1', 'fw0', 'web', 'TASK_RUNNING', []) }],
      [{ kind: 'putTask', fw: 1, task: t('t5', 'fw1', 'web', 'TASK_RUNNING', [8080], 'c1-S0', { name: '.x', ports: [] }) }, { kind: 'putTask', fw: 1, task: t('t1', 'fw1', 'web', 'TASK_STAGING', []) }],
      [{ kind: 'removeTask', fw: 1, id: 't5' }, { kind: 'putTask', fw: 0, task: t('t1', 'fw0', 'web', 'TASK_RUNNING', [], 'c1-S3') }],
    ];
    expect(run(initial, batches, inputs(), checkEqual)).toEqual({ patched: 3, full: 0 });
  });

  it('keeps build order when a framework is removed and added again behind another of the same name', () => {
    // Found by the property above: fw0 came back after fw1, so its tasks come after fw1's under
    // the names both frameworks share (`web.marathon.mesos.`).
    const t = (fw: string, ip: string): Task => ({ id: 't1', name: 'web', frameworkId: fw, agentId: 'c1-S0', state: 'TASK_RUNNING', ports: [], running: { timestamp: 1, networkIPs: [ip], mesosLabelIPs: [], dockerLabelIPs: [] } });
    const fw = (id: string): Framework => ({ id, name: 'marathon', hostname: '10.0.1.0', pid: { name: 'scheduler', host: '10.0.1.0', port: 8080 }, tasks: [] });
    const initial: MasterState = { leader: { name: 'master', host: '10.0.9.1', port: 5050 }, agents: [{ id: 'c1-S0', hostname: '10.0.0.1', pid: { name: 'slave(1)', host: '10.0.0.1', port: 5051 } }], frameworks: [fw('fw0'), fw('fw1')] };
    const batches: Event[][] = [
      [{ kind: 'removeFramework', fw: 0 }, { kind: 'putFramework', fw: 0, name: 'marathon' }, { kind: 'putTask', fw: 0, task: t('fw0', '172.16.0.1') }],
      [{ kind: 'putTask', fw: 1, task: t('fw1', '172.16.0.2') }],
      [{ kind: 'putTask', fw: 0, task: t('fw0', '172.16.0.3') }],
    ];
    expect(run(initial, batches, inputs(), checkEqual)).toEqual({ patched: 3, full: 0 });
  });

  it('leaves a new leader to a full build, and patches agent and framework changes', () => {
    const input = inputs();
    const initial: MasterState = {
      leader: { name: 'master', host: '10.0.9.1', port: 5050 },
      agents: [{ id: 'c1-S0', hostname: '10.0.0.1', pid: { name: 'slave(1)', host: '10.0.0.1', port: 5051 } }],
      frameworks: [{ id: 'fw0', name: 'marathon', hostname: '10.0.1.0', tasks: [] }],
    };
    const engine = (): IncrementalTable => new IncrementalTable(initial, input, buildTableParts(initial, input));
    expect(engine().apply({ ...initial, leader: { name: 'master', host: '10.0.9.2', port: 5050 } }, input)).toBeUndefined();
    for (const next of [{ ...initial, agents: [] }, { ...initial, frameworks: [{ ...initial.frameworks[0], name: 'other' }] }, { ...initial, frameworks: [] }]) {
      const patch = engine().apply(next, input);
      expect(patch).toBeDefined();
      checkEqual(patch!.table, buildTable(next, input));
    }
  });

  it('patches an agent named by a hostname once the caller resolved it, and refuses before', () => {
    const task: Task = { id: 't1', name: 'web', frameworkId: 'fw0', agentId: 'c1-S1', state: 'TASK_RUNNING', ports: [31000], running: { timestamp: 1, networkIPs: ['172.16.0.1'], mesosLabelIPs: [], dockerLabelIPs: [] } };
    const initial: MasterState = {
      leader: { name: 'master', host: '10.0.9.1', port: 5050 },
      agents: [{ id: 'c1-S0', hostname: '10.0.0.1', pid: { name: 'slave(1)', host: '10.0.0.1', port: 5051 } }],
      frameworks: [{ id: 'fw0', name: 'marathon', hostname: '10.0.1.0', tasks: [task] }],
    };
    const live = new LiveState({ master: initial, waitingTasks: [] });
    const input = inputs();
    const base = live.snapshot().master;
    const engine = new IncrementalTable(base, input, buildTableParts(base, input));
    // the task's agent comes, named by a hostname
    live.putAgent({ id: 'c1-S1', hostname: 'agent-1.example', pid: { name: 'slave(1)', host: 'agent-1.example', port: 5051 } });
    const state = live.snapshot().master;
    expect(engine.apply(state, { ...input, serial: 1235 })).toBeUndefined();
    expect(engine.refusal).toBe('a hostname to resolve (agent-1.example)');
    const resolved = { ...input, serial: 1236, addresses: new Map([...input.addresses, ['agent-1.example', ['10.0.0.7']]]) };
    const fresh = new IncrementalTable(base, input, buildTableParts(base, input));
    const patch = fresh.apply(state, resolved);
    expect(patch).toBeDefined();
    expect(patch!.table.names.get('web.marathon.slave.mesos.')?.a).toEqual(['10.0.0.7']);
    expect(patch!.table.reverse?.ptr.get('7.0.0.10.in-addr.arpa.')).toEqual(['slave.mesos.']);
    checkEqual(patch!.table, buildTable(state, resolved));
  });
});
