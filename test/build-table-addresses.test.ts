// The address of a task (issue 15 item 1; docs/addresses.md), as a pure choice: the same cluster
// (test/helpers/address-tasks.ts) read from /master/state and from an Operator API GET_STATE,
// built under each configuration, gives the table of expected A records.
import { describe, expect, it } from '@jest/globals';
import { fromGetState } from '../src/mesos/operator-state.js';
import { applyEvent, LiveState } from '../src/mesos/operator-events.js';
import { streamStateFromGetState } from '../src/mesos/operator-state.js';
import { parseState } from '../src/mesos/parse-state.js';
import { parsePid } from '../src/mesos/pid.js';
import type { MasterState, Task } from '../src/mesos/state.js';
import { sameTask } from '../src/records/incremental/same-task.js';
import { taskAddressing } from '../src/mesos/task-addressing.js';
import { readStateBytes } from '../src/mesos/read-state.js';
import { bytesOf, nativeAddon } from './helpers/read-state.js';
import { buildTable } from '../src/records/build-table.js';
import { invalidIpSourceLabels, parseIpSourcesLabel } from '../src/records/table-ips.js';
import { a, inputs } from './helpers/build-table.js';
import { ADDRESS_TASKS, addressGetState, addressState, AGENT_IP, CASE_CONFIG, EXPECTED } from './helpers/address-tasks.js';
import { subscribed, taskUpdated, v1Status } from './helpers/stream-master.js';
import { recordOf } from './helpers/read-subscribed.js';
import { readSubscribedRecord } from '../src/mesos/read-subscribed.js';

const leader = parsePid('master@127.0.0.1:5050');
const READERS: Record<string, () => MasterState> = {
  '/master/state': () => parseState(addressState(5050)),
  '/master/state by the native reader': () => {
    const read = readStateBytes(bytesOf(addressState(5050)), nativeAddon());
    expect(read.declined).toBeUndefined();
    return read.state;
  },
  'Operator API': () => fromGetState(addressGetState(), leader),
  'Operator API by the native reader': () => {
    const read = readSubscribedRecord(recordOf(subscribed(addressGetState())), leader, nativeAddon());
    expect(read.declined).toBeUndefined();
    return read.read.state.master;
  },
};

function answers(state: MasterState, config: Record<string, unknown>): Record<string, string[]> {
  const table = buildTable(state, inputs({ masters: [], config }));
  return Object.fromEntries(ADDRESS_TASKS.map((t) => [t.name, [...(a(table, `${t.name}.marathon.mesos.`) ?? [])]]));
}

describe('the address of each task', () => {
  const cases = Object.keys(EXPECTED).flatMap((c) => Object.keys(READERS).map((r) => [c, r] as const));
  it.each(cases)('%s config, read from %s', (configCase, reader) => {
    expect(answers(READERS[reader](), CASE_CONFIG[configCase])).toEqual(EXPECTED[configCase]);
  });

  // The snapshot that follows the server's first poll is patched onto the poll's table only where
  // its tasks differ in content (records/incremental/same-task.ts): the two APIs' readers must
  // give the same task for the same cluster, or every task would count as changed.
  it('gives the same task content from every reader (the snapshot after a poll is a patch of nothing)', () => {
    const byId = (state: MasterState): Map<string, Task> => new Map(state.frameworks.flatMap((fw) => [...fw.tasks].map((t) => [t.id, t] as const)));
    const polled = byId(READERS['/master/state']());
    expect(polled.size).toBe(ADDRESS_TASKS.length);
    for (const reader of Object.keys(READERS)) {
      const read = byId(READERS[reader]());
      const differing = [...polled].filter(([id, task]) => !sameTask(task, read.get(id)!)).map(([id]) => id);
      expect({ reader, differing }).toEqual({ reader, differing: [] });
    }
  });

  it('keeps the agent names on the agent whatever the policy', () => {
    const table = buildTable(READERS['/master/state'](), inputs({ masters: [], config: { AddressPolicy: 'auto' } }));
    for (const t of ADDRESS_TASKS) expect(a(table, `${t.name}.marathon.slave.mesos.`)).toEqual([AGENT_IP]);
  });

  it('takes the container address of the newest RUNNING status that has one (mesos-dns #417)', () => {
    const state = READERS['/master/state']();
    const checked = state.frameworks[0].tasks.find((t) => t.name === 'checked');
    expect(checked?.running).toMatchObject({ timestamp: 1_700_000_001, healthy: true, networkIPs: ['9.0.0.5'], networkNames: ['dcos'] });
  });

  it('keeps the container address when a health-check TASK_UPDATED brings none', () => {
    const live = new LiveState(streamStateFromGetState(addressGetState(), leader));
    const later = v1Status({ taskId: 'overlay.1', state: 'TASK_RUNNING', timestamp: 1_700_000_100, healthy: true });
    expect(applyEvent(live, taskUpdated('fw1', 'TASK_RUNNING', later))).toBe(true);
    const task = live.snapshot().master.frameworks[0].tasks.find((t) => t.name === 'overlay');
    expect(task?.running).toMatchObject({ timestamp: 1_700_000_100, healthy: true, networkIPs: ['9.0.0.2'], networkNames: ['dcos'] });
    expect(answers(live.snapshot().master, {}).overlay).toEqual(['9.0.0.2']);
    // A later status with addresses of its own replaces them.
    const moved = v1Status({ taskId: 'overlay.1', state: 'TASK_RUNNING', timestamp: 1_700_000_200, ips: ['9.0.0.99'] });
    applyEvent(live, taskUpdated('fw1', 'TASK_RUNNING', moved));
    expect(answers(live.snapshot().master, {}).overlay).toEqual(['9.0.0.99']);
  });
});

describe('a pod task\'s host ports, from its status (dcos-net handle_task_port_mappings)', () => {
  it('a TASK_UPDATED that brings a port mapping turns AddressPolicy "auto" to the agent, and one without keeps it', () => {
    const live = new LiveState(streamStateFromGetState(addressGetState(), leader));
    expect(answers(live.snapshot().master, { AddressPolicy: 'auto' }).podlater).toEqual(['9.0.4.3']);
    const mapped = v1Status({ taskId: 'podlater.1', state: 'TASK_RUNNING', timestamp: 1_700_000_100, ips: ['9.0.4.3'], hostPorts: [31601] });
    expect(applyEvent(live, taskUpdated('fw1', 'TASK_RUNNING', mapped))).toBe(true);
    const task = live.snapshot().master.frameworks[0].tasks.find((t) => t.name === 'podlater');
    expect(task?.running?.portMapped).toBe(true);
    expect(answers(live.snapshot().master, { AddressPolicy: 'auto' }).podlater).toEqual([AGENT_IP]);
    expect(answers(live.snapshot().master, {}).podlater).toEqual(['9.0.4.3']);
    // A health-check update without network_infos keeps the mapping with the address.
    applyEvent(live, taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: 'podlater.1', state: 'TASK_RUNNING', timestamp: 1_700_000_200, healthy: true })));
    expect(answers(live.snapshot().master, { AddressPolicy: 'auto' }).podlater).toEqual([AGENT_IP]);
    // A newer status with the network and no mapping takes it away.
    applyEvent(live, taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: 'podlater.1', state: 'TASK_RUNNING', timestamp: 1_700_000_300, ips: ['9.0.4.3'] })));
    expect(answers(live.snapshot().master, { AddressPolicy: 'auto' }).podlater).toEqual(['9.0.4.3']);
  });

  it('does not read the status when the container lists its own port mappings', () => {
    const live = new LiveState(streamStateFromGetState(addressGetState(), leader));
    // overlay's container lists network_infos (none mapped): a status mapping does not count.
    applyEvent(live, taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: 'overlay.1', state: 'TASK_RUNNING', timestamp: 1_700_000_100, ips: ['9.0.0.2'], hostPorts: [31602] })));
    expect(answers(live.snapshot().master, { AddressPolicy: 'auto' }).overlay).toEqual(['9.0.0.2']);
  });
});

describe('MESOS_DNS_IP_SOURCES', () => {
  it.each<[string, string[] | undefined]>([
    ['host', ['host']],
    ['netinfo,host', ['netinfo', 'host']],
    [' docker , mesos,host ', ['docker', 'mesos', 'host']],
    ['', undefined],
    ['netinfo,,host', undefined],
    ['netinfo,agent', undefined],
    ['host,host', undefined],
    ['HOST', undefined],
  ])('%j -> %j', (value, want) => {
    expect(parseIpSourcesLabel(value)).toEqual(want);
  });

  it('lists the running tasks whose label is not a source list (publish.ts warns once per task)', () => {
    expect(invalidIpSourceLabels(READERS['/master/state']())).toEqual([{ taskId: 'mislabelled.1', value: 'netinfo,agent' }]);
    expect(invalidIpSourceLabels(READERS['Operator API']())).toEqual([{ taskId: 'mislabelled.1', value: 'netinfo,agent' }]);
  });
});

describe('taskAddressing (dcos-net rules)', () => {
  it.each<[string, unknown, unknown, unknown, readonly number[], unknown]>([
    ['nothing', undefined, undefined, undefined, [], undefined],
    ['labels without ours', [{ key: 'a', value: 'b' }], null, undefined, [], undefined],
    ['a Docker bridge with port mappings', undefined, { type: 'DOCKER', docker: { network: 'BRIDGE', port_mappings: [{ host_port: 31000, container_port: 80 }] } }, undefined, [], { hostPorts: true, ownPortMappings: true }],
    ['a Docker bridge without port mappings', undefined, { type: 'DOCKER', docker: { network: 'BRIDGE' } }, undefined, [], { hostPorts: false, ownPortMappings: true }],
    ['Docker port mappings read only for a DOCKER container', undefined, { type: 'MESOS', docker: { port_mappings: [{ host_port: 1 }] } }, undefined, [], undefined],
    ['a CNI network with port mappings', undefined, { network_infos: [{ name: 'n', port_mappings: [{ host_port: 31000 }] }] }, undefined, [], { hostPorts: true, ownPortMappings: true }],
    ['a CNI network without port mappings', undefined, { type: 'MESOS', network_infos: [] }, undefined, [], { hostPorts: false, ownPortMappings: true }],
    ['a pod task: MESOS, no network_infos', undefined, { type: 'MESOS', mesos: {} }, undefined, [], undefined],
    ['network_infos that are not a list', undefined, { network_infos: { port_mappings: [{ host_port: 1 }] } }, undefined, [], undefined],
    ['a port mapping without a host port', undefined, { network_infos: [{ port_mappings: [{ container_port: 80 }] }] }, undefined, [], { hostPorts: false, ownPortMappings: true }],
    ['labels as protobuf JSON', { labels: [{ key: 'MESOS_DNS_IP_SOURCES', value: 'host' }] }, undefined, undefined, [], { hostPorts: false, ipSources: 'host' }],
    ['labels of the wrong type', 'MESOS_DNS_IP_SOURCES', 5, [], [], undefined],
    [
      'VIP_PORT labels on the n-th host port',
      [{ key: 'VIP_PORT0', value: 'tcp://web:80' }, { key: 'vip_port1', value: 'udp://dns:53' }, { key: 'VIP_PORT2', value: 'tcp://none:1' }, { key: 'VIP_PORTx', value: 'tcp://x:1' }],
      undefined,
      undefined,
      [31000, 31001],
      { hostPorts: true, vips: [{ vip: 'web:80', protocol: 'tcp', port: 31000, hostPort: true }, { vip: 'dns:53', protocol: 'udp', port: 31001, hostPort: true }] },
    ],
    [
      'VIP labels on DiscoveryInfo ports',
      undefined,
      undefined,
      {
        ports: {
          ports: [
            { number: 80, protocol: 'tcp', labels: { labels: [{ key: 'VIP_0', value: '/web:80' }] } },
            { number: 0, protocol: 'tcp', labels: { labels: [{ key: 'VIP_1', value: '/zero:80' }] } },
            { number: 53, protocol: 'sctp', labels: { labels: [{ key: 'VIP_2', value: '/sctp:53' }] } },
            { number: 31005, protocol: 'UDP', labels: { labels: [{ key: 'network-scope', value: 'host' }, { key: 'vip0', value: '10.0.0.5:53' }] } },
          ],
        },
      },
      [],
      { hostPorts: true, vips: [{ vip: '/web:80', protocol: 'tcp', port: 80, hostPort: false }, { vip: '10.0.0.5:53', protocol: 'udp', port: 31005, hostPort: true }] },
    ],
  ])('%s', (_, labels, container, discovery, ports, want) => {
    expect(taskAddressing(labels, container, discovery, ports)).toEqual(want);
  });
});
