import { describe, expect, it } from '@jest/globals';
import { applyEvent, LiveState, skippedEvent, type StreamState } from '../src/mesos/operator-events.js';
import { fromAgent, fromFramework, fromGetState, fromTask, recoveredAgentIds, streamStateFromGetState } from '../src/mesos/operator-state.js';
import { StateParseError } from '../src/errors.js';
import type { MasterState, Pid, Task } from '../src/mesos/state.js';
import {
  agentAdded, agentRemoved, frameworkAdded, frameworkRemoved, frameworkUpdated, getState, heartbeat, subscribed,
  taskAdded, taskUpdated, v1Agent, v1Framework, v1FrameworkInfo, v1Status, v1Task,
} from './helpers/stream-master.js';

const leader: Pid = { name: 'master', host: '10.0.0.1', port: 5050 };
const FW = 'fw-marathon';
const AGENT = 'agent-S0';

/** Freeze a value deeply, so any mutation by the code under test throws in strict mode. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function base(): StreamState {
  return streamStateFromGetState(
    getState({
      agents: [v1Agent(AGENT, '10.0.0.11'), v1Agent('agent-S1', '10.0.0.12')],
      frameworks: [v1Framework(FW, 'marathon'), v1Framework('fw-chronos', 'chronos')],
      tasks: [
        v1Task({ id: 'web.1', frameworkId: FW, agentId: AGENT, state: 'TASK_RUNNING', ports: [[31000, 31001]],
          statuses: [v1Status({ taskId: 'web.1', state: 'TASK_RUNNING', timestamp: 100, ips: ['172.17.0.2'] })] }),
        v1Task({ id: 'job.1', frameworkId: 'fw-chronos', agentId: 'agent-S1', state: 'TASK_RUNNING' }),
      ],
    }),
    leader,
  );
}

const allTasks = (m: MasterState): Task[] => m.frameworks.flatMap((f) => f.tasks);
const task = (s: StreamState, id: string): Task | undefined => allTasks(s.master).find((t) => t.id === id);

describe('operator-state converters (v1 JSON → internal types)', () => {
  it('converts a v1 task: ids, ports from RANGES, discovery, latest RUNNING status', () => {
    const t = fromTask(
      v1Task({
        id: 'app.abc', name: 'app', frameworkId: FW, agentId: AGENT, state: 'TASK_RUNNING',
        ports: [[31000, 31002], [31010, 31010]],
        discovery: { visibility: 'FRAMEWORK', name: 'app-svc', ports: { ports: [{ number: 80, name: 'http', protocol: 'tcp' }, { number: 53 }] } },
        statuses: [
          v1Status({ taskId: 'app.abc', state: 'TASK_RUNNING', timestamp: 300, ips: ['10.1.0.3', 'fd01::3'], healthy: true,
            labels: [{ key: 'MesosContainerizer.NetworkSettings.IPAddress', value: '10.9.9.9' }] }),
          v1Status({ taskId: 'app.abc', state: 'TASK_STARTING', timestamp: 400 }),
          v1Status({ taskId: 'app.abc', state: 'TASK_RUNNING', timestamp: 200, ips: ['10.1.0.2'] }),
        ],
      }),
    );
    expect(t).toEqual({
      id: 'app.abc', name: 'app', frameworkId: FW, agentId: AGENT, state: 'TASK_RUNNING',
      ports: [31000, 31001, 31002, 31010],
      discovery: { name: 'app-svc', ports: [{ number: 80, name: 'http', protocol: 'tcp' }, { number: 53, name: '', protocol: '' }] },
      running: { timestamp: 300, networkIPs: ['10.1.0.3', 'fd01::3'], mesosLabelIPs: ['10.9.9.9'], dockerLabelIPs: [], healthy: true },
    });
  });

  it('picks the first RUNNING status on a timestamp tie and reads 0.25 single ip_address', () => {
    const first = v1Status({ taskId: 't', state: 'TASK_RUNNING', timestamp: 5 });
    first.container_status = { network_infos: [{ ip_address: '10.2.0.1' }] };
    const second = v1Status({ taskId: 't', state: 'TASK_RUNNING', timestamp: 5, ips: ['10.2.0.2'] });
    const t = fromTask(v1Task({ id: 't', frameworkId: FW, agentId: AGENT, state: 'TASK_RUNNING', statuses: [first, second] }));
    expect(t.running?.networkIPs).toEqual(['10.2.0.1']);
  });

  it('converts agents (pid next to agent_info) and frameworks (no pid: hostname only)', () => {
    expect(fromAgent(v1Agent('a1', '10.0.0.5', 'host5'))).toEqual({ id: 'a1', hostname: 'host5', pid: { name: 'slave(1)', host: '10.0.0.5', port: 5051 } });
    const noPid = v1Agent('a2', '10.0.0.6');
    delete noPid.pid;
    expect(fromAgent(noPid)).toEqual({ id: 'a2', hostname: 'agent-a2' });
    expect(fromFramework(v1Framework('f1', 'My.Fw', 'sched.example'))).toEqual({ id: 'f1', name: 'My.Fw', hostname: 'sched.example', tasks: [] });
  });

  it('groups get_state tasks under their frameworks, drops terminal ones, queues orphans', () => {
    const s = streamStateFromGetState(
      getState({
        agents: [v1Agent(AGENT, '10.0.0.11')],
        frameworks: [v1Framework(FW, 'marathon')],
        tasks: [
          v1Task({ id: 'a', frameworkId: FW, agentId: AGENT, state: 'TASK_RUNNING' }),
          v1Task({ id: 'b', frameworkId: FW, agentId: AGENT, state: 'TASK_FINISHED' }),
          v1Task({ id: 'c', frameworkId: 'fw-unknown', agentId: AGENT, state: 'TASK_RUNNING' }),
        ],
        completedTasks: [v1Task({ id: 'd', frameworkId: FW, agentId: AGENT, state: 'TASK_KILLED' })],
        recoveredAgents: ['agent-S7'],
      }),
      leader,
    );
    expect(s.master.leader).toBe(leader);
    expect(s.master.agents.map((a) => a.id)).toEqual([AGENT]);
    expect(s.master.frameworks.map((f) => [f.id, f.tasks.map((t) => t.id)])).toEqual([[FW, ['a']]]);
    expect(s.waitingTasks.map((t) => t.id)).toEqual(['c']);
    expect(recoveredAgentIds(getState({ recoveredAgents: ['agent-S7', 'agent-S8'] }))).toEqual(['agent-S7', 'agent-S8']);
    const withBad = getState({ recoveredAgents: ['agent-S7'] }) as { get_agents: { recovered_agents: unknown[] } };
    withBad.get_agents.recovered_agents.unshift({ id: 7 }, 'garbage');
    expect(recoveredAgentIds(withBad)).toEqual(['agent-S7']);
    expect(fromGetState(getState({}), leader)).toEqual({ leader, agents: [], frameworks: [] });
  });

  it.each<[string, unknown]>([
    ['get_state not an object', 'nope'],
    ['agents not an array', { get_agents: { agents: {} } }],
    ['tasks not an array', { get_tasks: { tasks: 'web.1' } }],
  ])('rejects a bad get_state (%s) with StateParseError', (_name, doc) => {
    expect(() => streamStateFromGetState(doc, leader)).toThrow(StateParseError);
  });

  const good = v1Task({ id: 'good', frameworkId: FW, agentId: AGENT, state: 'TASK_RUNNING' });
  it.each<[string, unknown, string]>([
    [
      'a task without task_id',
      getState({ agents: [v1Agent(AGENT, '10.0.0.1')], frameworks: [v1Framework(FW, 'm')], tasks: [{ framework_id: { value: FW }, agent_id: { value: AGENT }, state: 'TASK_RUNNING' }, good] }),
      'task get_state.get_tasks.tasks[0] - task.task_id: expected an object',
    ],
    [
      'a task with a port out of range',
      getState({ agents: [v1Agent(AGENT, '10.0.0.1')], frameworks: [v1Framework(FW, 'm')], tasks: [good, v1Task({ id: 't', frameworkId: FW, agentId: AGENT, ports: [[70000, 70001]] })] }),
      'task get_state.get_tasks.tasks[1] t range.begin: 70000 is not a port',
    ],
    [
      'an agent with a malformed pid',
      getState({ agents: [{ ...v1Agent('agent-bad', '10.0.0.2'), pid: 'garbage' }, v1Agent(AGENT, '10.0.0.1')], frameworks: [v1Framework(FW, 'm')], tasks: [good] }),
      'agent get_state.get_agents.agents[0] agent-bad agent.pid: malformed pid "garbage": expected exactly one "@" (name@host:port)',
    ],
    [
      'a framework with a numeric name',
      getState({ agents: [v1Agent(AGENT, '10.0.0.1')], frameworks: [{ framework_info: { id: { value: 'fw-bad' }, name: 7 } }, v1Framework(FW, 'm')], tasks: [good] }),
      'framework get_state.get_frameworks.frameworks[0] fw-bad framework_info.name: expected a string',
    ],
  ])('leaves %s of a get_state out and keeps the rest', (_name, doc, expected) => {
    const s = streamStateFromGetState(doc, leader);
    expect(s.skipped?.map((e) => `${e.kind} ${e.path} ${e.id ?? '-'} ${e.reason}`)).toEqual([expected]);
    expect(s.master.agents.map((a) => a.id)).toEqual([AGENT]);
    expect(s.master.frameworks.map((f) => [f.id, f.tasks.map((t) => t.id)])).toEqual([[FW, ['good']]]);
  });
});

describe('applyEvent', () => {
  type Case = { name: string; events: unknown[]; check: (s: StreamState) => void; changed?: boolean };
  const cases: Case[] = [
    {
      name: 'TASK_ADDED adds a staging task under its framework',
      events: [taskAdded(v1Task({ id: 'new.1', frameworkId: FW, agentId: AGENT, ports: [[31500, 31500]] }))],
      check: (s) => expect(task(s, 'new.1')).toMatchObject({ state: 'TASK_STAGING', ports: [31500], frameworkId: FW }),
    },
    {
      name: 'TASK_ADDED for a known task (agent re-registration) replaces, not duplicates',
      events: [taskAdded(v1Task({ id: 'web.1', name: 'web-renamed', frameworkId: FW, agentId: AGENT, state: 'TASK_RUNNING' }))],
      check: (s) => {
        expect(allTasks(s.master).filter((t) => t.id === 'web.1')).toHaveLength(1);
        expect(task(s, 'web.1')?.name).toBe('web-renamed');
      },
    },
    {
      name: 'TASK_UPDATED to RUNNING sets state and takes IPs/healthy from the RUNNING status',
      events: [
        taskAdded(v1Task({ id: 'new.1', frameworkId: FW, agentId: AGENT })),
        taskUpdated(FW, 'TASK_RUNNING', v1Status({ taskId: 'new.1', state: 'TASK_RUNNING', timestamp: 500, ips: ['10.5.0.1'], healthy: false })),
      ],
      check: (s) => expect(task(s, 'new.1')).toMatchObject({ state: 'TASK_RUNNING', running: { timestamp: 500, networkIPs: ['10.5.0.1'], healthy: false } }),
    },
    {
      name: 'TASK_UPDATED uses `state`, not a lagging status.state (dcos-net#56)',
      events: [
        taskAdded(v1Task({ id: 'new.1', frameworkId: FW, agentId: AGENT })),
        taskUpdated(FW, 'TASK_RUNNING', v1Status({ taskId: 'new.1', state: 'TASK_STARTING', timestamp: 10 })),
      ],
      check: (s) => {
        expect(task(s, 'new.1')?.state).toBe('TASK_RUNNING');
        expect(task(s, 'new.1')?.running).toBeUndefined();
      },
    },
    {
      name: 'TASK_UPDATED with a newer RUNNING status replaces the IPs; an older one does not',
      events: [
        taskUpdated(FW, 'TASK_RUNNING', v1Status({ taskId: 'web.1', state: 'TASK_RUNNING', timestamp: 200, ips: ['172.17.0.9'] })),
        taskUpdated(FW, 'TASK_RUNNING', v1Status({ taskId: 'web.1', state: 'TASK_RUNNING', timestamp: 150, ips: ['172.17.0.1'] })),
      ],
      check: (s) => expect(task(s, 'web.1')?.running?.networkIPs).toEqual(['172.17.0.9']),
    },
    {
      name: 'TASK_UPDATED to KILLED removes the task (even when status still says RUNNING)',
      events: [taskUpdated(FW, 'TASK_KILLED', v1Status({ taskId: 'web.1', state: 'TASK_RUNNING', timestamp: 100 }))],
      check: (s) => {
        expect(task(s, 'web.1')).toBeUndefined();
        expect(s.master.frameworks.find((f) => f.id === FW)).toBeDefined();
      },
    },
    {
      name: 'TASK_UPDATED for an unknown task changes nothing',
      changed: false,
      events: [taskUpdated(FW, 'TASK_RUNNING', v1Status({ taskId: 'ghost', state: 'TASK_RUNNING' }))],
      check: (s) => expect(allTasks(s.master).map((t) => t.id).sort()).toEqual(['job.1', 'web.1']),
    },
    {
      name: 'TASK_ADDED of a terminal unknown task changes nothing',
      changed: false,
      events: [taskAdded(v1Task({ id: 'x', frameworkId: FW, agentId: AGENT, state: 'TASK_FAILED' }))],
      check: (s) => expect(task(s, 'x')).toBeUndefined(),
    },
    {
      name: 'AGENT_REMOVED drops the agent and keeps its tasks (records stop: agent unknown)',
      events: [agentRemoved(AGENT)],
      check: (s) => {
        expect(s.master.agents.map((a) => a.id)).toEqual(['agent-S1']);
        expect(task(s, 'web.1')).toBeDefined();
      },
    },
    {
      name: 'AGENT_ADDED adds a new agent; re-adding replaces it',
      events: [agentAdded(v1Agent('agent-S9', '10.0.0.19')), agentAdded(v1Agent('agent-S9', '10.0.0.20'))],
      check: (s) => {
        expect(s.master.agents.filter((a) => a.id === 'agent-S9')).toHaveLength(1);
        expect(s.master.agents.find((a) => a.id === 'agent-S9')?.pid?.host).toBe('10.0.0.20');
      },
    },
    {
      name: 'FRAMEWORK_REMOVED drops the framework and its tasks',
      events: [frameworkRemoved(v1FrameworkInfo(FW, 'marathon'))],
      check: (s) => {
        expect(s.master.frameworks.map((f) => f.id)).toEqual(['fw-chronos']);
        expect(task(s, 'web.1')).toBeUndefined();
      },
    },
    {
      name: 'FRAMEWORK_UPDATED replaces the framework fields and keeps its tasks',
      events: [frameworkUpdated(v1Framework(FW, 'marathon-renamed', 'new-host'))],
      check: (s) => {
        const fw = s.master.frameworks.find((f) => f.id === FW);
        expect(fw).toMatchObject({ name: 'marathon-renamed', hostname: 'new-host' });
        expect(fw?.tasks.map((t) => t.id)).toEqual(['web.1']);
      },
    },
    {
      name: 'a task before its framework waits, and is attached when FRAMEWORK_ADDED arrives',
      events: [
        taskAdded(v1Task({ id: 'early.1', frameworkId: 'fw-late', agentId: AGENT })),
        taskUpdated('fw-late', 'TASK_RUNNING', v1Status({ taskId: 'early.1', state: 'TASK_RUNNING', ips: ['10.7.0.1'] })),
        frameworkAdded(v1Framework('fw-late', 'late')),
      ],
      check: (s) => {
        expect(s.waitingTasks).toEqual([]);
        const fw = s.master.frameworks.find((f) => f.id === 'fw-late');
        expect(fw?.tasks.map((t) => [t.id, t.state, t.running?.networkIPs])).toEqual([['early.1', 'TASK_RUNNING', ['10.7.0.1']]]);
      },
    },
    {
      name: 'a waiting task that ends is dropped from the waiting list',
      events: [
        taskAdded(v1Task({ id: 'early.1', frameworkId: 'fw-late', agentId: AGENT })),
        taskUpdated('fw-late', 'TASK_FAILED', v1Status({ taskId: 'early.1', state: 'TASK_FAILED' })),
      ],
      check: (s) => expect(s.waitingTasks).toEqual([]),
    },
    {
      name: 'HEARTBEAT and unknown event types change nothing',
      changed: false,
      events: [heartbeat(), { type: 'OPERATION_UPDATED', operation_updated: {} }],
      check: (s) => expect(s).toEqual(base()),
    },
    {
      name: 'SUBSCRIBED replaces the whole state and keeps the leader',
      events: [subscribed(getState({ agents: [v1Agent('agent-Z', '10.0.0.99')] }))],
      check: (s) => {
        expect(s.master).toEqual({ leader, agents: [{ id: 'agent-Z', hostname: 'agent-agent-Z', pid: { name: 'slave(1)', host: '10.0.0.99', port: 5051 } }], frameworks: [] });
      },
    },
  ];

  it.each(cases)('$name', ({ events, check, changed }) => {
    const live = new LiveState(base());
    // What the stream emitted before the events: frozen, so a change in place would throw, and
    // compared with a copy afterwards (an emitted state is never changed by later events).
    const first = deepFreeze(live.snapshot());
    const before = structuredClone(first);
    let anyChange = false;
    for (const ev of events) {
      const previous = live.snapshot();
      const result = applyEvent(live, deepFreeze(ev));
      anyChange ||= result;
      if (!result) expect(live.snapshot()).toBe(previous);
    }
    check(live.snapshot());
    expect(anyChange).toBe(changed ?? true);
    expect(first).toEqual(before);
  });

  it('shares untouched frameworks between the old and new state', () => {
    const live = new LiveState(base());
    const input = live.snapshot();
    applyEvent(live, taskAdded(v1Task({ id: 'n', frameworkId: FW, agentId: AGENT })));
    const state = live.snapshot();
    const chronosBefore = input.master.frameworks.find((f) => f.id === 'fw-chronos');
    expect(state.master.frameworks.find((f) => f.id === 'fw-chronos')).toBe(chronosBefore);
    expect(state.master.agents).toBe(input.master.agents);
  });

  it.each<[string, unknown]>([
    ['not an object', 42],
    ['TASK_ADDED without a task', { type: 'TASK_ADDED', task_added: {} }],
    ['TASK_UPDATED without framework_id', { type: 'TASK_UPDATED', task_updated: { status: v1Status({ taskId: 'web.1', state: 'TASK_RUNNING' }), state: 'TASK_RUNNING' } }],
    ['AGENT_ADDED with a bad pid', agentAdded({ ...v1Agent('a', '10.0.0.1'), pid: 'slave(1)@nowhere' })],
    ['AGENT_REMOVED without agent_id', { type: 'AGENT_REMOVED', agent_removed: {} }],
  ])('rejects a malformed event (%s) with StateParseError, the state unchanged', (_name, ev) => {
    const live = new LiveState(base());
    const before = live.snapshot();
    expect(() => applyEvent(live, ev)).toThrow(StateParseError);
    expect(live.snapshot()).toBe(before);
  });

  it('names a malformed event for the stream to skip, and leaves garbage and SUBSCRIBED to throw', () => {
    const live = new LiveState(base());
    const bad = taskAdded(v1Task({ id: 'web.9', frameworkId: FW, agentId: AGENT, ports: [[70000, 70000]] }));
    let caught: unknown;
    try {
      applyEvent(live, bad);
    } catch (err) {
      caught = err;
    }
    expect(skippedEvent(bad, caught)).toEqual({ kind: 'task', path: 'TASK_ADDED event', id: 'web.9', reason: 'range.begin: 70000 is not a port' });
    const update = { type: 'TASK_UPDATED', task_updated: { status: v1Status({ taskId: 'web.1', state: 'TASK_RUNNING' }) } };
    expect(skippedEvent(update, new StateParseError('x'))).toEqual({ kind: 'task', path: 'TASK_UPDATED event', id: 'web.1', reason: 'x' });
    expect(() => skippedEvent(42, new StateParseError('x'))).toThrow('x');
    expect(() => skippedEvent({ type: 'SUBSCRIBED' }, new StateParseError('y'))).toThrow('y');
    expect(() => skippedEvent(bad, new TypeError('a bug'))).toThrow(TypeError);
  });
});
