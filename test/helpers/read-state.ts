// Shared by the native state reader tests (read-state-agreement, read-state-pieces): both readers
// on the same bytes, and documents to read.
import { expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseStateText } from '../../src/mesos/parse-state.js';
import { readStateBytes, stateReaderAddon, type StateReaderAddon } from '../../src/mesos/read-state.js';
import type { MasterState } from '../../src/mesos/state.js';
import { taskHash } from '../../src/records/task-hash.js';
import {
  bridgeContainer, bridgeStatuses, cafeIpLabels, cafeNetworkInfos, dockerHostContainer, ownNetworksContainer, ownNetworksStatuses, podContainer, podDiscovery, podPlainStatuses, podStatuses, vipContainer,
  vipDiscovery, vipStatuses,
} from './reader-tasks.js';

export const fixture = readFileSync(new URL('../fixtures/mesos-state-fake.json', import.meta.url));
export const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export function nativeAddon(): StateReaderAddon {
  const loaded = stateReaderAddon();
  if (!('addon' in loaded)) throw new Error(`the native state reader is not built: ${loaded.reason}`);
  return loaded.addon;
}

export type Outcome = { state: MasterState } | { error: string; code: unknown };

export function outcome(read: () => MasterState): Outcome {
  try {
    return { state: read() };
  } catch (err) {
    return { error: (err as Error).message, code: (err as { code?: unknown }).code };
  }
}

/**
 * Both readers on `bytes`: the same outcome; returns why the native reader declined, if it did.
 * The native reader also gives each task its hash (Task.idHash), which must be taskHash(id); it
 * is checked and then set aside for the comparison.
 */
export function expectSameAsJavaScript(bytes: Uint8Array): string | undefined {
  const js = outcome(() => parseStateText(decoder.decode(bytes)));
  let declined: string | undefined;
  const native = outcome(() => {
    const read = readStateBytes(bytes, nativeAddon());
    declined = read.declined;
    return declined === undefined ? withoutIdHashes(read.state) : read.state;
  });
  expect(native).toStrictEqual(js);
  return declined;
}

export const bytesOf = (doc: unknown): Buffer => Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));

/** Task.idHash, which only the native reader fills in, checked and removed. */
export function withoutIdHashes(state: MasterState): MasterState {
  for (const fw of state.frameworks) {
    for (const task of fw.tasks) {
      expect(task.idHash).toBe(taskHash(task.id));
      delete task.idHash;
    }
  }
  return state;
}

/**
 * A small state with every field DNS reads, in awkward forms: members in unusual order, nulls,
 * escapes and non-ASCII text, several statuses, both network-info forms, labels, DiscoveryInfo,
 * port ranges the plain reader takes and ones it leaves to the general parser.
 */
export function richState(): Record<string, unknown> {
  return {
    version: '1.11.0',
    frameworks: [
      {
        tasks: [
          {
            statuses: [
              { state: 'TASK_STARTING', timestamp: 1458823300 },
              { timestamp: 1458823233.62374, state: 'TASK_RUNNING', labels: [{ key: 'Docker.NetworkSettings.IPAddress', value: '172.17.0.2' }], healthy: true },
              { state: 'TASK_RUNNING', timestamp: 1458823233.62374, labels: [{ key: 'Docker.NetworkSettings.IPAddress', value: '172.17.0.9' }] },
            ],
            state: 'TASK_RUNNING',
            slave_id: 'S1',
            name: 'nginx',
            id: 'nginx.1',
            framework_id: 'ignored',
            resources: { cpus: 1, ports: '[31000-31002, 31005-31005]' },
          },
          {
            id: 'caf\u00e9.2',
            name: 'caf\u00e9 \ud83d\ude00',
            slave_id: 'S2',
            state: 'TASK_RUNNING',
            resources: { ports: ' [31000-31000]\t' },
            statuses: [
              {
                state: 'TASK_RUNNING',
                timestamp: 2e9,
                healthy: false,
                labels: cafeIpLabels(),
                container_status: { network_infos: cafeNetworkInfos() },
              },
            ],
            discovery: {
              name: 'web.app',
              visibility: 'FRAMEWORK',
              ports: {
                ports: [
                  { number: 80, protocol: 'tcp', name: 'http' },
                  { number: 8.0e1, name: null },
                  { protocol: 'udp', number: 53 },
                  { number: 70000, protocol: 'tcp' },
                  { number: -1 },
                  {},
                ],
              },
            },
          },
          // An id longer than one SHA-1 block, for its hash.
          { id: `no-status-${'z'.repeat(120)}`, name: 'quiet', slave_id: 'S1', state: 'TASK_STAGING', resources: { ports: '[]' }, statuses: [] },
          { id: 'bad-ranges', name: 'odd', slave_id: 'S1', state: 'TASK_RUNNING', resources: { ports: '[31002-31001]' }, statuses: null, discovery: { name: '', ports: { ports: [{ number: 1 }] } } },
          { id: 'empty-status', name: 'x', statuses: [{ state: 'TASK_RUNNING', container_status: {} }], resources: null, discovery: null },
          { id: 'wordy-ranges', name: 'y', resources: { ports: 'ports 31000' }, statuses: [{ state: 'TASK_RUNNING', container_status: { network_infos: null } }] },
          // What task-addressing.ts reads (labels, container, discovery port labels), network
          // names, and a newer RUNNING status without network IPs after older ones with some.
          {
            id: 'vip.7',
            name: 'vip',
            slave_id: 'S1',
            state: 'TASK_RUNNING',
            resources: { ports: '[31100-31101]' },
            labels: [{ key: 'MESOS_DNS_IP_SOURCES', value: 'netinfo,host' }, { key: 'VIP_PORT1', value: 'udp://dns:53' }, { key: 'HAPROXY', value: 'x' }],
            container: vipContainer(),
            statuses: vipStatuses(),
            discovery: vipDiscovery(),
          },
          {
            id: 'bridge.1',
            name: 'bridge',
            slave_id: 'S2',
            state: 'TASK_RUNNING',
            labels: [{ key: 'MESOS_DNS_IP_SOURCES', value: 'bogus' }],
            container: bridgeContainer(),
            statuses: bridgeStatuses(),
          },
          // Pod tasks: port mappings in the status only (reader-tasks.ts expectPods).
          { id: 'pod.1', name: 'pod', slave_id: 'S1', state: 'TASK_RUNNING', container: podContainer(), statuses: podStatuses(), discovery: podDiscovery() },
          { id: 'pod-plain.1', name: 'pod-plain', slave_id: 'S1', state: 'TASK_RUNNING', container: podContainer(), statuses: podPlainStatuses() },
          { id: 'own.1', name: 'own', slave_id: 'S1', state: 'TASK_RUNNING', container: ownNetworksContainer(), statuses: ownNetworksStatuses() },
          { id: 'docker-host.1', name: 'docker-host', slave_id: 'S1', state: 'TASK_RUNNING', container: dockerHostContainer(), statuses: ownNetworksStatuses() },
        ],
        id: 'f1',
        name: 'Marathon',
        pid: 'scheduler-1@10.1.0.9:25501',
        hostname: 'm1.example.com',
      },
      { id: 'f2', name: null, hostname: 'h2', tasks: null },
      { id: 'f3', tasks: [] },
    ],
    slaves: [
      { id: 'S1', pid: 'slave(1)@10.1.0.1:5051', hostname: 'agent-1', resources: { ports: '[31000-32000]' } },
      { hostname: 'agent-2', id: 'S2', pid: 'slave(1)@[2001:db8::2]:5051' },
      { id: 'S3', hostname: null },
    ],
    leader: 'master@10.0.0.1:5050',
    completed_frameworks: [{ id: 'old', tasks: [{ id: 'gone' }] }],
  };
}
