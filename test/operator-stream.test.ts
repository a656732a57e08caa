// OperatorStream against a real HTTP stand-in master on 127.0.0.1: real sockets, real RecordIO.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Agent } from 'undici';
import { OperatorStream, type OperatorStreamOptions, type StreamMode } from '../src/mesos/operator-stream.js';
import type { MasterState, Pid, Task } from '../src/mesos/state.js';
import {
  StreamMaster, agentAdded, agentRemoved, getState, taskAdded, taskUpdated, v1Agent, v1Framework, v1Status, v1Task, waitFor,
} from './helpers/stream-master.js';

const leader: Pid = { name: 'master', host: '127.0.0.1', port: 5050 };
const FW = 'fw-marathon';
const AGENT = 'agent-S0';

let master: StreamMaster;
let dispatcher: Agent;
let stream: OperatorStream | undefined;
let states: MasterState[];
let modes: StreamMode[];

const tasks = (s: MasterState | undefined): Task[] => s?.frameworks.flatMap((f) => f.tasks) ?? [];
const last = (): MasterState | undefined => states[states.length - 1];
const lastTask = (id: string): Task | undefined => tasks(last()).find((t) => t.id === id);

function snapshot(extraTasks: ReturnType<typeof v1Task>[] = []): ReturnType<typeof getState> {
  return getState({
    agents: [v1Agent(AGENT, '10.0.0.11'), v1Agent('agent-S1', '10.0.0.12')],
    frameworks: [v1Framework(FW, 'marathon')],
    tasks: [
      v1Task({ id: 'web.1', frameworkId: FW, agentId: AGENT, state: 'TASK_RUNNING', ports: [[31000, 31000]],
        statuses: [v1Status({ taskId: 'web.1', state: 'TASK_RUNNING', ips: ['172.17.0.2'] })] }),
      ...extraTasks,
    ],
  });
}

function open(options: Partial<OperatorStreamOptions> = {}): OperatorStream {
  const s = new OperatorStream({
    leaderUrl: master.url,
    leader,
    dispatcher,
    backoff: { initialMs: 10, maxMs: 50 },
    coalesceMs: 20,
    random: () => 0.5,
    ...options,
  });
  s.on('state', (st) => states.push(st));
  s.on('mode', (m) => modes.push(m));
  stream = s;
  s.start();
  return s;
}

beforeAll(async () => {
  master = await StreamMaster.start();
  dispatcher = new Agent({ keepAliveTimeout: 100 });
});

afterAll(async () => {
  await master.close();
  await dispatcher.close();
});

beforeEach(() => {
  master.getState = snapshot();
  master.heartbeats = true;
  master.heartbeatIntervalSeconds = 15;
  master.subscribeAnswer = undefined;
  master.subscriptions = 0;
  states = [];
  modes = [];
});

afterEach(async () => {
  await stream?.close();
  stream = undefined;
  master.destroyStreams();
  await waitFor(() => master.openStreams === 0, 2000, 'server-side streams to close');
});

describe('OperatorStream', () => {
  it('says it is reading the snapshot from the SUBSCRIBE answer to the snapshot applied, and not after', async () => {
    // The snapshot in 1 KiB pieces, 30 ms apart: long enough to see it arrive.
    master.snapshotPieces = { bytes: 1024, delayMs: 30 };
    try {
      const s = open();
      expect(s.readingSnapshot).toBe(false);
      await waitFor(() => s.readingSnapshot, 3000, 'the snapshot arriving');
      expect(states).toHaveLength(0);
      await waitFor(() => s.mode === 'streaming', 5000, 'the snapshot applied');
      expect(s.readingSnapshot).toBe(false);
    } finally {
      master.snapshotPieces = undefined;
    }
  });

  it('subscribes with the documented request and emits the SUBSCRIBED snapshot', async () => {
    open({ headers: { authorization: 'token=abc' } });
    await waitFor(() => states.length === 1, 5000, 'snapshot');
    expect(master.lastSubscribe?.body).toEqual({ type: 'SUBSCRIBE' });
    expect(master.lastSubscribe?.headers['content-type']).toBe('application/json');
    expect(master.lastSubscribe?.headers.accept).toBe('application/json');
    expect(master.lastSubscribe?.headers.authorization).toBe('token=abc');
    expect(states[0].leader).toEqual(leader);
    expect(states[0].agents.map((a) => a.id)).toEqual([AGENT, 'agent-S1']);
    expect(lastTask('web.1')).toMatchObject({ state: 'TASK_RUNNING', ports: [31000], running: { networkIPs: ['172.17.0.2'] } });
    expect(stream?.mode).toBe('streaming');
    expect(modes).toContain('streaming');
  });

  it('follows a task from added to running to killed', async () => {
    open();
    await waitFor(() => states.length === 1, 5000, 'snapshot');
    master.send(taskAdded(v1Task({ id: 'api.1', frameworkId: FW, agentId: AGENT })));
    await waitFor(() => lastTask('api.1')?.state === 'TASK_STAGING', 5000, 'api.1 staging');
    master.send(taskUpdated(FW, 'TASK_RUNNING', v1Status({ taskId: 'api.1', state: 'TASK_RUNNING', ips: ['10.8.0.1'] })));
    await waitFor(() => lastTask('api.1')?.state === 'TASK_RUNNING', 5000, 'api.1 running');
    expect(lastTask('api.1')?.running?.networkIPs).toEqual(['10.8.0.1']);
    master.send(taskUpdated(FW, 'TASK_KILLED', v1Status({ taskId: 'api.1', state: 'TASK_KILLED' })));
    await waitFor(() => lastTask('api.1') === undefined, 5000, 'api.1 gone');
    expect(lastTask('web.1')).toBeDefined();
    expect(master.subscriptions).toBe(1);
  });

  it('drops a removed agent', async () => {
    open();
    await waitFor(() => states.length === 1, 5000, 'snapshot');
    master.send(agentRemoved(AGENT));
    await waitFor(() => states.length === 2, 5000, 'update');
    expect(last()?.agents.map((a) => a.id)).toEqual(['agent-S1']);
  });

  it('resubscribes after a stream cut mid-record and keeps the last good state meanwhile', async () => {
    open();
    await waitFor(() => states.length === 1, 5000, 'snapshot');
    const record = Buffer.from(JSON.stringify(taskAdded(v1Task({ id: 'half.1', frameworkId: FW, agentId: AGENT }))));
    master.sendRaw(`${record.length}\n`);
    master.sendRaw(record.subarray(0, 10));
    master.getState = snapshot([v1Task({ id: 'after.1', frameworkId: FW, agentId: AGENT, state: 'TASK_RUNNING' })]);
    master.endStreams();
    await waitFor(() => master.subscriptions === 2, 5000, 'resubscription');
    await waitFor(() => lastTask('after.1') !== undefined, 5000, 'new snapshot');
    // every emitted state was a complete one: the first snapshot, then the second
    expect(states.every((s) => s.agents.length === 2 && tasks(s).some((t) => t.id === 'web.1'))).toBe(true);
    expect(tasks(last()).some((t) => t.id === 'half.1')).toBe(false);
    expect(stream?.state).toBe(last());
  });

  it('resubscribes after a garbage record', async () => {
    open();
    await waitFor(() => states.length === 1, 5000, 'snapshot');
    master.sendRaw('this is not recordio\n');
    await waitFor(() => master.subscriptions === 2 && states.length === 2, 5000, 'resubscription');
    expect(last()?.agents).toHaveLength(2);
  });

  it('resubscribes after a record that is not JSON, and after the master ends the stream', async () => {
    open();
    await waitFor(() => states.length === 1, 5000, 'snapshot');
    master.sendRaw('5\nnope!');
    await waitFor(() => master.subscriptions === 2 && states.length === 2, 5000, 'resubscription after non-JSON');
    master.endStreams();
    await waitFor(() => master.subscriptions === 3 && states.length === 3, 5000, 'resubscription after end');
  });

  it('resubscribes when heartbeats stop', async () => {
    master.heartbeatIntervalSeconds = 0.2;
    open({ heartbeatMisses: 5 });
    await waitFor(() => states.length === 1, 5000, 'snapshot');
    // heartbeats flow: the watchdog must not fire while they do
    await new Promise((r) => setTimeout(r, 900));
    expect(master.subscriptions).toBe(1);
    master.stopHeartbeats();
    await waitFor(() => master.subscriptions === 2, 5000, 'resubscription after heartbeat silence');
    expect(last()?.agents).toHaveLength(2);
  });

  it('retries with backoff when the master answers 500, and streams once it recovers', async () => {
    master.subscribeAnswer = { status: 500 };
    open();
    await waitFor(() => master.subscriptions >= 3, 5000, 'retries');
    expect(states).toEqual([]);
    expect(modes).toContain('retrying');
    master.subscribeAnswer = undefined;
    await waitFor(() => states.length === 1, 5000, 'snapshot after recovery');
  });

  it('keeps retrying an unreachable master without emitting anything', async () => {
    // a port that was just free: connection refused
    const gone = await StreamMaster.start();
    const url = gone.url;
    await gone.close();
    const s = open({ leaderUrl: url });
    await waitFor(() => modes.filter((m) => m === 'retrying').length >= 1 && modes.filter((m) => m === 'connecting').length >= 2, 5000, 'reconnect attempts');
    expect(states).toEqual([]);
    expect(s.state).toBeUndefined();
  });

  it('emits unsupported on 404 and stops', async () => {
    master.subscribeAnswer = { status: 404 };
    const s = open();
    const codes: number[] = [];
    s.on('unsupported', (c) => codes.push(c));
    await waitFor(() => codes.length === 1, 5000, 'unsupported');
    expect(codes).toEqual([404]);
    expect(s.mode).toBe('unsupported');
    await new Promise((r) => setTimeout(r, 100));
    expect(master.subscriptions).toBe(1);
  });

  it('emits notLeader with the resolved Location on 307 and stops', async () => {
    master.subscribeAnswer = { status: 307, headers: { location: '//10.0.0.2:5050/api/v1' } };
    const s = open();
    const locations: (string | undefined)[] = [];
    s.on('notLeader', (l) => locations.push(l));
    await waitFor(() => locations.length === 1, 5000, 'notLeader');
    expect(locations).toEqual(['http://10.0.0.2:5050/api/v1']);
    expect(s.mode).toBe('not-leader');
    expect(master.subscriptions).toBe(1);
  });

  it('coalesces a burst of 100 events into a few emits carrying all of them', async () => {
    open({ coalesceMs: 200 });
    await waitFor(() => states.length === 1, 5000, 'snapshot');
    for (let i = 0; i < 100; i++) master.send(taskAdded(v1Task({ id: `burst.${i}`, frameworkId: FW, agentId: AGENT })));
    await waitFor(() => tasks(last()).filter((t) => t.id.startsWith('burst.')).length === 100, 5000, 'all burst tasks');
    expect(states.length - 1).toBeLessThanOrEqual(10);
  });

  it('holds a post-failover snapshot until recovered agents re-register', async () => {
    master.getState = getState({
      agents: [v1Agent(AGENT, '10.0.0.11')],
      frameworks: [v1Framework(FW, 'marathon')],
      recoveredAgents: ['agent-S1'],
    });
    open();
    await waitFor(() => master.subscriptions === 1 && stream?.mode === 'streaming', 5000, 'subscribed');
    master.send(taskAdded(v1Task({ id: 'early.1', frameworkId: FW, agentId: AGENT })));
    await waitFor(() => tasks(stream?.state).some((t) => t.id === 'early.1'), 5000, 'event applied while held');
    expect(states).toEqual([]);
    master.send(agentAdded(v1Agent('agent-S1', '10.0.0.12')));
    await waitFor(() => states.length === 1, 5000, 'release on re-registration');
    expect(states[0].agents.map((a) => a.id)).toEqual([AGENT, 'agent-S1']);
    expect(tasks(states[0]).map((t) => t.id)).toEqual(['early.1']);
  });

  it('publishes a held snapshot when the recovery grace period ends', async () => {
    master.getState = getState({ agents: [v1Agent(AGENT, '10.0.0.11')], recoveredAgents: ['agent-S1'] });
    open({ recoveryGraceMs: 300 });
    await waitFor(() => states.length === 1, 5000, 'release after grace');
    expect(states[0].agents.map((a) => a.id)).toEqual([AGENT]);
  });

  it('close() stops everything: no more subscriptions or emits', async () => {
    const s = open();
    await waitFor(() => states.length === 1, 5000, 'snapshot');
    await s.close();
    expect(s.mode).toBe('closed');
    await waitFor(() => master.openStreams === 0, 2000, 'connection released');
    master.send(agentRemoved(AGENT));
    await new Promise((r) => setTimeout(r, 100));
    expect(states).toHaveLength(1);
    expect(master.subscriptions).toBe(1);
  });
});
