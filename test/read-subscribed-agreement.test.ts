// The native reader of the Operator API's SUBSCRIBED record (native/operator-state.h through
// src/mesos/read-subscribed.ts) against the JavaScript one (JSON.parse + operator-state.ts): for
// every record, both give the same snapshot (StreamState, recovered agents, heartbeat; compared
// strictly) or both throw the same error. The native reader must also really read the ordinary
// records (not decline them), or the comparison would only be testing the fallback.
import { describe, expect, it } from '@jest/globals';
import { readSubscribedRecord } from '../src/mesos/read-subscribed.js';
import type { Task, TaskVip } from '../src/mesos/state.js';
import { taskVips } from '../src/mesos/task-addressing.js';
import { nativeAddon } from './helpers/read-state.js';
import { expectSubscribedSameAsJavaScript, LEADER, recordOf, richSnapshot, subscribedOutcome, syntheticSnapshot, type SubscribedOutcome } from './helpers/read-subscribed.js';
import { damagedJson } from './helpers/damage-json.js';
import { jsonSpellings } from './helpers/json-spellings.js';
import { expectCafeDiscoveryPorts, expectPods, expectVipAndBridge } from './helpers/reader-tasks.js';
import { seededRandom } from './helpers/seeded-random.js';
import { getState, subscribed, v1Agent, v1Framework, v1Task } from './helpers/stream-master.js';

describe('native SUBSCRIBED reader', () => {
  it.each([
    [1, 10],
    [2, 500],
    [3, 3000],
  ])('reads synthetic snapshots exactly as the JavaScript path does (seed %i, %i tasks)', (seed, tasks) => {
    expect(expectSubscribedSameAsJavaScript(recordOf(syntheticSnapshot(tasks, seed)))).toBeUndefined();
  });

  it('reads every field DNS needs, in awkward forms, exactly as the JavaScript path does', () => {
    const doc = richSnapshot();
    // The same, pretty-printed with other whitespace, and with escapes where raw text was.
    for (const text of jsonSpellings(doc)) expect(expectSubscribedSameAsJavaScript(recordOf(text))).toBeUndefined();
    // Sanity: the rich snapshot has what it claims to have, and the native reader read it.
    const { read, declined } = readSubscribedRecord(recordOf(doc), LEADER, nativeAddon());
    expect(declined).toBeUndefined();
    expect(read.heartbeat).toBe(7.5);
    expect(read.recovered).toEqual(['S9', 'S8']);
    const { master, waitingTasks } = read.state;
    expect(master.agents.map((a) => `${a.id} ${a.hostname} ${a.pid?.host ?? '-'}`)).toEqual(['S1 agent-1-again -', 'S2 agent-2 2001:db8::2', 'S3  -']);
    expect(master.frameworks.map((f) => `${f.id} ${f.name} ${f.tasks.map((t) => t.id).join(',')}`)).toEqual([
      `f1 marathon-again nginx.1,café.2,no-status-${'z'.repeat(120)},vip.7,bridge.1,pod.1,pod-plain.1,own.1,docker-host.1`,
      'f2  nameless-discovery,empty-status,plain.1',
    ]);
    expect(waitingTasks.map((t) => `${t.id} ${t.state}`)).toEqual(['waiting TASK_STARTING']);
    const [nginx, cafe] = master.frameworks[0].tasks;
    expect(nginx.name).toBe('nginx-again');
    const first = readSubscribedRecord(recordOf(JSON.stringify(doc).replace(',"name":"nginx-again"', '')), LEADER, nativeAddon()).read;
    expect(first.state.master.frameworks[0].tasks[0].name).toBe('');
    expect(cafe.name).toBe('caf\u00e9 \ud83d\ude00');
    expect(cafe.running).toEqual({ timestamp: 2e9, networkIPs: ['10.9.0.1', 'fd00::1', '10.9.0.2', '10.9.0.3'], mesosLabelIPs: ['10.0.0.7', ''], dockerLabelIPs: [] });
    expectCafeDiscoveryPorts(cafe.discovery?.ports);
    expect(master.frameworks[1].tasks[0].discovery).toEqual({ name: '', ports: [] });
    const [vip, bridge, pod, podPlain, own, dockerHost] = master.frameworks[0].tasks.slice(3);
    expectVipAndBridge(vip, bridge);
    expectPods(pod, podPlain, own, dockerHost);
    const plain = master.frameworks[1].tasks[2];
    expect(plain.addressing).toBeUndefined();
    expect(plain.running?.networkNames).toEqual(['dcos']);
  });

  it('synthetic snapshots carry the addressing fields (so that the agreement above covers them)', () => {
    const { read } = readSubscribedRecord(recordOf(syntheticSnapshot(500, 2)), LEADER, nativeAddon());
    const tasks = read.state.master.frameworks.flatMap((f) => f.tasks);
    expect(tasks.filter((t) => t.addressing?.ipSources !== undefined).length).toBeGreaterThan(10);
    expect(tasks.filter((t) => t.addressing?.vips !== undefined).length).toBeGreaterThan(10);
    expect(tasks.filter((t) => t.addressing?.hostPorts === true).length).toBeGreaterThan(10);
    expect(tasks.filter((t) => t.running?.networkNames !== undefined).length).toBeGreaterThan(10);
    // Pod tasks: host ports from the status alone, and tasks whose container's own mappings win.
    expect(tasks.filter((t) => t.running?.portMapped === true && t.addressing === undefined).length).toBeGreaterThan(10);
    expect(tasks.filter((t) => t.running?.portMapped === true && t.addressing?.ownPortMappings === true).length).toBeGreaterThan(10);
    // VIPs on a container port that a mapping moves to a host port: the container's, and a pod's status's.
    const moved = (vips: readonly TaskVip[] | undefined, t: Task): boolean => vips?.some((v) => v.hostPort && v.port !== t.discovery?.ports[0]?.number) === true;
    expect(tasks.filter((t) => t.addressing?.ownPortMappings === true && moved(t.addressing.vips, t)).length).toBeGreaterThan(3);
    expect(tasks.filter((t) => t.running?.portMappings !== undefined && !moved(t.addressing?.vips, t) && moved(taskVips(t), t)).length).toBeGreaterThan(1);
  });

  it('tells whether task ids repeat, which decides how tasks are grouped', () => {
    const read = (doc: unknown): unknown => (nativeAddon().readSubscribed(recordOf(doc)) as { taskIdsDistinct: number }).taskIdsDistinct;
    // The rich snapshot repeats nginx.1 and waiting (first position, last value, checked above).
    expect(read(richSnapshot())).toBe(0);
    expect(read(syntheticSnapshot(500, 2))).toBe(1);
    // A repeat in another framework counts too: the check is by id alone.
    const tasks = [v1Task({ id: 'same', frameworkId: 'f', agentId: 'a' }), v1Task({ id: 'same', frameworkId: 'g', agentId: 'a' })];
    const doc = subscribed(getState({ tasks: tasks as never, frameworks: [v1Framework('f', 'x'), v1Framework('g', 'y')] as never }));
    expect(read(doc)).toBe(0);
    expect(expectSubscribedSameAsJavaScript(recordOf(doc))).toBeUndefined();
  });

  it('reads ports from every resource named "ports", in order, ranges expanded', () => {
    const { read } = readSubscribedRecord(recordOf(richSnapshot()), LEADER, nativeAddon());
    const tasks = read.state.master.frameworks[0].tasks;
    // The duplicate nginx.1 replaced the first one's value: its ports are its own (none).
    expect(tasks[0].ports).toEqual([]);
    const doc = richSnapshot();
    const list = ((doc.subscribed as Record<string, Record<string, Record<string, unknown[]>>>).get_state.get_tasks.tasks);
    list.splice(7, 1);
    const again = readSubscribedRecord(recordOf(doc), LEADER, nativeAddon()).read;
    expect(again.state.master.frameworks[0].tasks[0].ports).toEqual([31000, 31001, 31002, 31005, 80]);
    expect(expectSubscribedSameAsJavaScript(recordOf(doc))).toBeUndefined();
  });

  const state = (parts: Record<string, unknown>): Record<string, unknown> => subscribed({ ...getState({}), ...parts });
  it.each<[string, string]>([
    ['a record that is not JSON', '{"type": "SUBSCRIBED",'],
    ['trailing text', `${JSON.stringify(subscribed(getState({})))} x`],
    ['a record that is an array', '[]'],
    ['an empty record', ''],
    ['another event first', '{"type": "HEARTBEAT"}'],
    ['a type that is a number', '{"type": 5, "subscribed": {"get_state": {}}}'],
    ['no subscribed', '{"type": "SUBSCRIBED"}'],
    ['subscribed that is a string', '{"type": "SUBSCRIBED", "subscribed": "x"}'],
    ['no get_state', '{"type": "SUBSCRIBED", "subscribed": {"heartbeat_interval_seconds": 15}}'],
    ['get_state that is null', '{"type": "SUBSCRIBED", "subscribed": {"get_state": null}}'],
    ['get_agents that is an array', JSON.stringify(state({ get_agents: [] }))],
    ['agents that are an object', JSON.stringify(state({ get_agents: { agents: {} } }))],
    ['recovered agents that are a string', JSON.stringify(state({ get_agents: { recovered_agents: 'S1' } }))],
    ['frameworks that are a number', JSON.stringify(state({ get_frameworks: { frameworks: 1 } }))],
    ['tasks that are an object', JSON.stringify(state({ get_tasks: { tasks: {} } }))],
  ])('fails on %s with the error the JavaScript path gives', (_, doc) => {
    const bytes = recordOf(doc);
    expect(subscribedOutcome(bytes, false)).toHaveProperty('error');
    expectSubscribedSameAsJavaScript(bytes);
  });

  it.each<[string, string]>([
    ['no heartbeat interval', '{"type": "SUBSCRIBED", "subscribed": {"get_state": {}}}'],
    ['a heartbeat interval that is text', '{"type": "SUBSCRIBED", "subscribed": {"get_state": {}, "heartbeat_interval_seconds": "15"}}'],
    ['null lists', '{"type": "SUBSCRIBED", "subscribed": {"get_state": {"get_agents": null, "get_tasks": {"tasks": null}, "get_frameworks": {}}}}'],
  ])('reads a snapshot with %s itself', (_, doc) => {
    expect(expectSubscribedSameAsJavaScript(recordOf(doc))).toBeUndefined();
  });

  // Each among good elements, which must stay; the native reader reads these itself.
  const goodTask = v1Task({ id: 'ok', frameworkId: 'f', agentId: 'a', state: 'TASK_RUNNING' });
  const agent = v1Agent('a', '10.0.0.1');
  const framework = v1Framework('f', 'marathon');
  const task = (extra: Record<string, unknown>): Record<string, unknown> => ({ ...v1Task({ id: 't', frameworkId: 'f', agentId: 'a' }), ...extra });
  const snapshot = (parts: { agents?: unknown[]; frameworks?: unknown[]; tasks?: unknown[] }): string =>
    JSON.stringify(subscribed(getState({ agents: (parts.agents ?? [agent]) as never, frameworks: (parts.frameworks ?? [framework]) as never, tasks: (parts.tasks ?? [goodTask]) as never })));
  it.each<[string, string, string]>([
    ['an agent that is not an object', snapshot({ agents: [7, agent] }), 'agent get_state.get_agents.agents[0] - agent: expected an object'],
    ['an agent without agent_info', snapshot({ agents: [agent, { pid: 'slave(1)@10.0.0.2:5051' }] }), 'agent get_state.get_agents.agents[1] - agent.agent_info: expected an object'],
    ['an agent pid that does not parse', snapshot({ agents: [{ ...agent, pid: 'x@y' }, v1Agent('b', '10.0.0.2')] }), 'agent get_state.get_agents.agents[0] a agent.pid: malformed pid "x@y": expected name@host:port'],
    ['an agent id that is empty', snapshot({ agents: [v1Agent('', '10.0.0.2'), agent] }), 'agent get_state.get_agents.agents[0]  agent_info.id.value: expected a non-empty string'],
    ['a framework name that is a number', snapshot({ frameworks: [{ framework_info: { id: { value: 'g' }, name: 1 } }, framework] }), 'framework get_state.get_frameworks.frameworks[0] g framework_info.name: expected a string'],
    ['a task that is not an object', snapshot({ tasks: [null, goodTask] }), 'task get_state.get_tasks.tasks[0] - task: expected an object'],
    ['a task without a state', snapshot({ tasks: [goodTask, task({ state: '' })] }), 'task get_state.get_tasks.tasks[1] t task.state: expected a non-empty string'],
    ['a task id that is a string', snapshot({ tasks: [task({ task_id: 't' }), goodTask] }), 'task get_state.get_tasks.tasks[0] - task.task_id: expected an object'],
    ['a reversed port range', snapshot({ tasks: [task({ resources: [{ name: 'ports', ranges: { range: [{ begin: 2, end: 1 }] } }] }), goodTask] }), 'task get_state.get_tasks.tasks[0] t ports range 2-1 is reversed'],
    ['a port out of range', snapshot({ tasks: [task({ resources: [{ name: 'ports', ranges: { range: [{ begin: 1, end: 65536 }] } }] }), goodTask] }), 'task get_state.get_tasks.tasks[0] t range.end: 65536 is not a port'],
    ['statuses that are a string', snapshot({ tasks: [goodTask, task({ statuses: 'TASK_RUNNING' })] }), 'task get_state.get_tasks.tasks[1] t task.statuses: expected an array'],
    ['a running timestamp that is null', snapshot({ tasks: [goodTask, task({ statuses: [{ state: 'TASK_RUNNING', timestamp: null }] })] }), 'task get_state.get_tasks.tasks[1] t status.timestamp: expected a number'],
    ['a discovery port that is not an integer', snapshot({ tasks: [task({ discovery: { name: 'd', ports: { ports: [{ number: 80.5 }] } } }), goodTask] }), 'task get_state.get_tasks.tasks[0] t discovery port number: 80.5 is not a port'],
    ['a label that is a number', snapshot({ tasks: [task({ statuses: [{ state: 'TASK_RUNNING', labels: { labels: [5] } }] }), goodTask] }), 'task get_state.get_tasks.tasks[0] t status.labels[0]: expected an object'],
  ])('leaves out %s, keeps the rest, and lists it as the JavaScript path does', (_, doc, expected) => {
    const bytes = recordOf(doc);
    expect(expectSubscribedSameAsJavaScript(bytes)).toBeUndefined();
    const { read } = readSubscribedRecord(bytes, LEADER, nativeAddon());
    expect(read.state.skipped?.map((e) => `${e.kind} ${e.path} ${e.id ?? '-'} ${e.reason}`)).toEqual([expected]);
    const { master } = read.state;
    expect(master.agents.length + master.frameworks.length + master.frameworks.flatMap((f) => f.tasks).length).toBeGreaterThan(1);
  });

  it('leaves to the JavaScript path a task it finds malformed where that path does not look', () => {
    // A null timestamp in a status that is not TASK_RUNNING: the reader refuses the task, the
    // JavaScript path never reads that timestamp and keeps it, so the record goes its way.
    const doc = snapshot({ tasks: [task({ statuses: [{ state: 'TASK_STAGING', timestamp: null }] })] });
    expect(expectSubscribedSameAsJavaScript(recordOf(doc))).toMatch(/JavaScript path keeps/);
  });

  it.each<[string, string, RegExp]>([
    ['a key it reads, twice (JSON.parse keeps the last)', '{"type": "SUBSCRIBED", "type": "SUBSCRIBED", "subscribed": {"get_state": {}}}', /repeated/],
    ['a lone surrogate escape in a name', snapshot({ frameworks: [{ framework_info: { id: { value: 'f' }, name: '\ud800x' } }] }), /surrogate/],
    ['a timestamp it cannot convert exactly', snapshot({ tasks: [task({ statuses: [{ state: 'TASK_RUNNING', timestamp: 1.2345678901234567890123e9 }] })] }).replace('1234567890', '12345678901234567890123'), /exactly/],
    ['deep nesting', `{"type": "SUBSCRIBED", "x": ${'['.repeat(600)}${']'.repeat(600)}, "subscribed": {"get_state": {}}}`, /deep/],
  ])('leaves %s to JSON.parse, with the same result', (_, doc, why) => {
    expect(expectSubscribedSameAsJavaScript(recordOf(doc))).toMatch(why);
  });

  it('agrees with the JavaScript path on thousands of damaged records', () => {
    const rand = seededRandom(20261207);
    const values: unknown[] = [null, 0, 1.5, -1, 65536, '', 'x', '80', 'TASK_RUNNING', 'TASK_FINISHED', true, false, [], {}, [{}], { value: 'v' }, { labels: [] }, ['a']];
    let nativeRead = 0;
    let failed = 0;
    let partial = 0;
    let partialNativeRead = 0;
    const cases = 3000;
    for (let n = 0; n < cases; n++) {
      const text = damagedJson(richSnapshot(), rand, values);
      const raw = recordOf(text);
      let declined: string | undefined;
      const seen: SubscribedOutcome[] = [];
      try {
        declined = expectSubscribedSameAsJavaScript(raw, (outcome) => seen.push(outcome));
      } catch (err) {
        // The damaged record, to reproduce it.
        console.log(`damaged record ${n}: ${text}`);
        throw err;
      }
      if (declined === undefined) nativeRead++;
      const js = seen[0];
      if ('error' in js) failed++;
      else if (js.read.state.skipped) {
        partial++;
        if (declined === undefined) partialNativeRead++;
      }
    }
    // Every outcome exercised (refused, read whole, read with elements left out), and the native
    // reader read most of the records itself, including most of those with elements left out.
    expect(failed).toBeGreaterThan(cases / 10);
    expect(partial).toBeGreaterThan(cases / 10);
    expect(partialNativeRead).toBeGreaterThan(partial / 2);
    expect(nativeRead).toBeGreaterThan(cases / 2);
  });
});
