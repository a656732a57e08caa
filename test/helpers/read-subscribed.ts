// Shared by the SUBSCRIBED reader tests: both readers (native/operator-state.h through
// src/mesos/read-subscribed.ts, and JSON.parse + operator-state.ts) on the same record, and v1
// snapshots to read.
import { expect } from '@jest/globals';
import { readSubscribedRecord, type SubscribedRead } from '../../src/mesos/read-subscribed.js';
import type { Pid, Task } from '../../src/mesos/state.js';
import { taskHash } from '../../src/records/task-hash.js';
import { nativeAddon } from './read-state.js';
import { seededRandom } from './seeded-random.js';
import { getState, subscribed, v1Agent, v1Framework, v1Status, v1Task } from './stream-master.js';
import {
  bridgeContainer, bridgeStatuses, cafeIpLabels, cafeNetworkInfos, dockerHostContainer, ownNetworksContainer, ownNetworksStatuses, podContainer, podDiscovery, podPlainStatuses, podStatuses, vipContainer,
  vipDiscovery, vipStatuses,
} from './reader-tasks.js';

type Json = Record<string, unknown>;

export const LEADER: Pid = { name: 'master', host: '10.0.0.1', port: 5050 };

export type SubscribedOutcome = { read: SubscribedRead } | { error: string; code: unknown };

/** The record read by `reader` (null: JSON.parse), as a value or the error it gives. */
export function subscribedOutcome(bytes: Uint8Array, native: boolean): SubscribedOutcome & { declined?: string } {
  try {
    const { read, declined } = readSubscribedRecord(bytes, LEADER, native ? nativeAddon() : null);
    return declined === undefined ? { read } : { read, declined };
  } catch (err) {
    return { error: (err as Error).message, code: (err as { code?: unknown }).code };
  }
}

/** Task.idHash, which only the native reader fills in, checked and removed. */
function withoutIdHashes(read: SubscribedRead): SubscribedRead {
  const check = (task: Task): void => {
    expect(task.idHash).toBe(taskHash(task.id));
    delete task.idHash;
  };
  for (const fw of read.state.master.frameworks) fw.tasks.forEach(check);
  read.state.waitingTasks.forEach(check);
  return read;
}

/**
 * Both readers on `bytes`: the same outcome (compared strictly); returns why the native reader
 * declined, if it did. `seen` is given the JavaScript path's outcome.
 */
export function expectSubscribedSameAsJavaScript(bytes: Uint8Array, seen?: (js: SubscribedOutcome) => void): string | undefined {
  const js = subscribedOutcome(bytes, false);
  seen?.(js);
  const native = subscribedOutcome(bytes, true);
  const declined = native.declined;
  delete native.declined;
  if ('read' in native && declined === undefined) withoutIdHashes(native.read);
  // NaN is NaN in toStrictEqual, so the heartbeat compares as it is.
  expect(native).toStrictEqual(js);
  return declined;
}

export const recordOf = (event: unknown): Buffer => Buffer.from(typeof event === 'string' ? event : JSON.stringify(event));

/**
 * A v1 snapshot with every field operator-state.ts reads, in awkward forms: members in unusual
 * order, nulls, escapes and non-ASCII text, several statuses, both label forms, both
 * network-info forms, ports as numbers and as text, several port resources, discovery with and
 * without a name, duplicate agents, frameworks and tasks, terminal tasks, a task waiting for its
 * framework, recovered agents (one malformed).
 */
export function richSnapshot(): Json {
  return {
    subscribed: {
      heartbeat_interval_seconds: 7.5,
      master_info: { id: 'm', ip: 1, port: 5050 },
      get_state: {
        get_tasks: {
          tasks: [
            {
              statuses: [
                { state: 'TASK_STARTING', timestamp: 1458823300, labels: null },
                { timestamp: 1458823233.62374, state: 'TASK_RUNNING', labels: { labels: [{ key: 'Docker.NetworkSettings.IPAddress', value: '172.17.0.2' }] }, healthy: true },
                { state: 'TASK_RUNNING', timestamp: 1458823233.62374, labels: [{ key: 'Docker.NetworkSettings.IPAddress', value: '172.17.0.9' }] },
              ],
              state: 'TASK_RUNNING',
              agent_id: { value: 'S1' },
              name: 'nginx',
              task_id: { value: 'nginx.1' },
              framework_id: { value: 'f1' },
              resources: [
                { name: 'cpus', type: 'SCALAR', scalar: { value: 1 } },
                { ranges: { range: [{ begin: 31000, end: 31002 }, { end: '31005', begin: '31005' }] }, name: 'ports', type: 'RANGES' },
                { name: 'ports', ranges: { range: [{ begin: 80, end: 80 }] } },
                { name: 'ports', ranges: null },
              ],
            },
            {
              task_id: { value: 'caf\u00e9.2' },
              name: 'caf\u00e9 \ud83d\ude00',
              framework_id: { value: 'f1' },
              agent_id: { value: 'S2' },
              state: 'TASK_RUNNING',
              resources: null,
              statuses: [
                {
                  state: 'TASK_RUNNING',
                  timestamp: 2e9,
                  healthy: 'not a boolean',
                  labels: { labels: cafeIpLabels() },
                  container_status: { network_infos: cafeNetworkInfos() },
                },
                { state: 'TASK_KILLING', timestamp: 2e9 + 1 },
              ],
              discovery: {
                name: 'web.app',
                visibility: 'FRAMEWORK',
                ports: { ports: [{ number: 80, protocol: 'tcp', name: 'http' }, { number: 8.0e1, name: null }, { protocol: 'udp', number: '53' }, { number: 0 }] },
              },
            },
            { task_id: { value: `no-status-${'z'.repeat(120)}` }, framework_id: { value: 'f1' }, agent_id: { value: 'S1' }, state: 'TASK_STAGING', statuses: [] },
            { task_id: { value: 'nameless-discovery' }, framework_id: { value: 'f2' }, agent_id: { value: 'S1' }, state: 'TASK_RUNNING', discovery: { ports: null }, statuses: null },
            { task_id: { value: 'empty-status' }, name: null, framework_id: { value: 'f2' }, agent_id: { value: 'S3' }, state: 'TASK_RUNNING', statuses: [{ state: 'TASK_RUNNING', container_status: {} }], discovery: null },
            { task_id: { value: 'finished' }, framework_id: { value: 'f1' }, agent_id: { value: 'S1' }, state: 'TASK_FINISHED' },
            { task_id: { value: 'waiting' }, framework_id: { value: 'f-unknown' }, agent_id: { value: 'S1' }, state: 'TASK_RUNNING' },
            // The same task again: first position, last value.
            { task_id: { value: 'nginx.1' }, framework_id: { value: 'f1' }, agent_id: { value: 'S2' }, state: 'TASK_RUNNING', name: 'nginx-again' },
            { task_id: { value: 'waiting' }, framework_id: { value: 'f-unknown' }, agent_id: { value: 'S2' }, state: 'TASK_STARTING' },
            // What task-addressing.ts reads, in the v1 forms (labels{labels}, container, discovery
            // port labels), network names, and a newer RUNNING status without network IPs after
            // older ones with some.
            {
              task_id: { value: 'vip.7' },
              name: 'vip',
              framework_id: { value: 'f1' },
              agent_id: { value: 'S1' },
              state: 'TASK_RUNNING',
              resources: [{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31100, end: 31101 }] } }],
              labels: { labels: [{ key: 'MESOS_DNS_IP_SOURCES', value: 'netinfo,host' }, { key: 'VIP_PORT1', value: 'udp://dns:53' }, { key: 'HAPROXY', value: 'x' }] },
              container: vipContainer(),
              statuses: vipStatuses(),
              discovery: vipDiscovery(),
            },
            {
              task_id: { value: 'bridge.1' },
              name: 'bridge',
              framework_id: { value: 'f1' },
              agent_id: { value: 'S2' },
              state: 'TASK_RUNNING',
              labels: { labels: [{ key: 'MESOS_DNS_IP_SOURCES', value: 'bogus' }] },
              container: bridgeContainer(),
              statuses: bridgeStatuses(),
            },
            // Pod tasks: port mappings in the status only (reader-tasks.ts expectPods).
            { task_id: { value: 'pod.1' }, name: 'pod', framework_id: { value: 'f1' }, agent_id: { value: 'S1' }, state: 'TASK_RUNNING', container: podContainer(), statuses: podStatuses(), discovery: podDiscovery() },
            { task_id: { value: 'pod-plain.1' }, name: 'pod-plain', framework_id: { value: 'f1' }, agent_id: { value: 'S1' }, state: 'TASK_RUNNING', container: podContainer(), statuses: podPlainStatuses() },
            { task_id: { value: 'own.1' }, name: 'own', framework_id: { value: 'f1' }, agent_id: { value: 'S1' }, state: 'TASK_RUNNING', container: ownNetworksContainer(), statuses: ownNetworksStatuses() },
            { task_id: { value: 'docker-host.1' }, name: 'docker-host', framework_id: { value: 'f1' }, agent_id: { value: 'S1' }, state: 'TASK_RUNNING', container: dockerHostContainer(), statuses: ownNetworksStatuses() },
            // Labels and a container with nothing task-addressing.ts reads (not handed over).
            {
              task_id: { value: 'plain.1' },
              framework_id: { value: 'f2' },
              agent_id: { value: 'S1' },
              state: 'TASK_RUNNING',
              labels: { labels: [{ key: 'HAPROXY_GROUP', value: 'external' }] },
              container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'nginx' } } } },
              statuses: [{ state: 'TASK_RUNNING', timestamp: 1, container_status: { network_infos: [{ name: 'dcos', ip_addresses: [{ ip_address: '9.0.0.4' }] }] } }],
            },
          ],
          completed_tasks: [{ task_id: { value: 'old' } }],
        },
        get_frameworks: {
          frameworks: [
            { framework_info: { id: { value: 'f1' }, name: 'Marathon', hostname: 'm1.example.com', user: 'root' }, active: true },
            { framework_info: { hostname: null, id: { value: 'f2' } } },
            { framework_info: { id: { value: 'f1' }, name: 'marathon-again' } },
          ],
          completed_frameworks: [{ framework_info: { id: { value: 'gone' } } }],
        },
        get_agents: {
          recovered_agents: [{ id: { value: 'S9' }, hostname: 'back-soon' }, { id: { value: '' } }, 5, { hostname: 'no id' }, { id: { value: 'S8' } }],
          agents: [
            { agent_info: { id: { value: 'S1' }, hostname: 'agent-1', port: 5051 }, pid: 'slave(1)@10.1.0.1:5051', active: true },
            { pid: 'slave(1)@[2001:db8::2]:5051', agent_info: { hostname: 'agent-2', id: { value: 'S2' } } },
            { agent_info: { id: { value: 'S3' }, hostname: null }, pid: '' },
            { agent_info: { id: { value: 'S1' }, hostname: 'agent-1-again' }, pid: null },
          ],
        },
        get_executors: { executors: [] },
      },
    },
    type: 'SUBSCRIBED',
  };
}

/**
 * A synthetic snapshot of `n` tasks over a few agents and frameworks: most RUNNING with one or
 * two statuses and ports, some staging, finished or killed, some with labels, health and
 * discovery; ids and names of several lengths.
 */
export function syntheticSnapshot(n: number, seed: number): Json {
  const rand = seededRandom(seed);
  const agents = Array.from({ length: Math.max(1, n >> 6) }, (_, i) => v1Agent(`agent-${i}`, `10.1.${i >> 8}.${i & 255}`));
  const frameworks = Array.from({ length: 1 + (n >> 9) }, (_, i) => v1Framework(`fw-${i}`, i === 0 ? 'marathon' : `framework${i}`));
  const states = ['TASK_RUNNING', 'TASK_RUNNING', 'TASK_RUNNING', 'TASK_STAGING', 'TASK_FINISHED', 'TASK_KILLED', 'TASK_UNREACHABLE'];
  const tasks = Array.from({ length: n }, (_, i) => {
    const state = states[Math.floor(rand() * states.length)];
    const id = `app${i % 97}.${'x'.repeat(i % 13)}${i}`;
    const agent = `agent-${Math.floor(rand() * agents.length)}`;
    const base = 31000 + (i % 1000);
    const statuses = state === 'TASK_STAGING' ? [] : [
      v1Status({ taskId: id, agentId: agent, state: 'TASK_STARTING', timestamp: 1_700_000_000 + i }),
      v1Status({
        taskId: id, agentId: agent, state: 'TASK_RUNNING', timestamp: 1_700_000_000.25 + i,
        ips: rand() < 0.8 ? [`10.2.${(i >> 8) & 255}.${i & 255}`] : undefined,
        healthy: rand() < 0.3 ? rand() < 0.5 : undefined,
        labels: rand() < 0.2 ? [{ key: 'Docker.NetworkSettings.IPAddress', value: `172.17.${i & 255}.1` }] : undefined,
      }),
    ];
    const task = v1Task({
      id,
      name: `app${i % 97}`,
      frameworkId: `fw-${Math.floor(rand() * frameworks.length)}`,
      agentId: agent,
      state,
      ports: rand() < 0.9 ? [[base, base + Math.floor(rand() * 3)]] : undefined,
      statuses,
      discovery: rand() < 0.2 ? { name: `svc${i % 7}`, visibility: 'FRAMEWORK', ports: { ports: [{ number: base, protocol: 'tcp', name: 'http' }] } } : undefined,
    });
    addAddressing(task, i, base, rand);
    return task;
  });
  return subscribed(getState({ agents, frameworks, tasks, recoveredAgents: [] }));
}

const IP_SOURCES = ['host', 'netinfo,host', 'mesos,docker', 'bogus'];

/**
 * What task-addressing.ts reads, on some of the synthetic tasks (the app `i % 97` decides, so
 * instances of an app share their texts as in a real cluster): task labels (MESOS_DNS_IP_SOURCES,
 * VIP_PORT<n>, others), container info with port mappings and network_infos, discovery port labels
 * (VIP_<n>, network-scope), network names on the statuses' IPs, port mappings in the statuses (pod
 * tasks), and a newer RUNNING status without network_infos (a health check) after the one with them.
 */
function addAddressing(task: Json, i: number, base: number, rand: () => number): void {
  const app = i % 97;
  const labels: { key: string; value: string }[] = [];
  if (app % 3 === 0) labels.push({ key: 'MESOS_DNS_IP_SOURCES', value: IP_SOURCES[app % IP_SOURCES.length] });
  if (app % 5 === 0) labels.push({ key: 'VIP_PORT0', value: `tcp://app${app}:80` });
  if (app % 2 === 0) labels.push({ key: 'HAPROXY_GROUP', value: 'external' });
  if (labels.length > 0) task.labels = { labels };
  if (app % 4 === 1) task.container = { type: 'MESOS', network_infos: [{ name: 'dcos', port_mappings: [{ host_port: 31000 + app, container_port: 80, protocol: 'tcp' }] }] };
  else if (app % 4 === 2) task.container = { type: 'DOCKER', docker: { image: 'nginx', network: 'BRIDGE', port_mappings: [{ host_port: 31000 + app, container_port: 80, ...(app % 8 === 2 ? { protocol: 'TCP' } : {}) }] } };
  else if (app % 4 === 3) task.container = { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'nginx' } } } };
  const discovery = task.discovery as { ports: { ports: Json[] } } | undefined;
  if (discovery && app % 3 !== 2) {
    const scope = app % 3 === 0 ? 'host' : 'container';
    discovery.ports.ports[0].labels = { labels: [{ key: 'VIP_0', value: `/svc${app}:${base}` }, { key: 'network-scope', value: scope }] };
    // On the container port the container's or the status's mappings map (then on their host port).
    if (app % 4 !== 0) discovery.ports.ports[0].number = 80;
  }
  for (const s of task.statuses as Json[]) {
    const infos = (s.container_status as { network_infos?: Json[] } | undefined)?.network_infos;
    if (infos && app % 2 === 1) infos[0].name = app % 7 === 0 ? 'calico' : 'dcos';
    // Port mappings in the status: a pod's task (its container lists no network_infos), and a
    // task whose container lists its own (then the status's are not read).
    if (infos && (app % 8 === 3 || app % 8 === 5)) infos[0].port_mappings = [{ host_port: 31000 + app, container_port: 80, protocol: 'tcp' }];
  }
  const running = (task.statuses as Json[]).find((s) => s.state === 'TASK_RUNNING');
  if (running && rand() < 0.3) (task.statuses as Json[]).push({ state: 'TASK_RUNNING', timestamp: (running.timestamp as number) + 5, healthy: true });
}
