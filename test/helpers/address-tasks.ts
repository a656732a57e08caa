// The tasks of the address tests (issue 15 item 1; docs/addresses.md): one agent at 10.1.0.1 and
// one framework `marathon`, with tasks in every networking mode, as a /master/state document and
// as an Operator API GET_STATE, so that every reader is given the same cluster.
import { getState, v1Agent, v1Framework } from './stream-master.js';

type Json = Record<string, unknown>;

export const AGENT_IP = '10.1.0.1';

interface Net {
  name?: string;
  ips: string[];
  /** Host ports mapped into the container, listed in the status (a pod's task). */
  hostPorts?: number[];
}

interface AddressTask {
  name: string;
  /** RUNNING statuses, oldest first: each a list of networks (none: no container_status). */
  statuses: (Net[] | null)[];
  labels?: { key: string; value: string }[];
  container?: Json;
  /** More task fields, as given (both forms). */
  more?: Json;
  /** Host ports, one range. */
  ports?: [number, number];
}

/** A DiscoveryInfo named `name` with one tcp port `number` and these VIP labels (VIP_0, VIP_1, ...). */
const vipDiscovery = (name: string, number: number, ...vips: string[]): Json => ({
  name,
  visibility: 'FRAMEWORK',
  ports: { ports: [{ number, name: 'http', protocol: 'tcp', labels: { labels: vips.map((value, i) => ({ key: `VIP_${i}`, value })) } }] },
});

const dockerBridge = (hostPort: number): Json => ({
  type: 'DOCKER',
  docker: { image: 'nginx', network: 'BRIDGE', port_mappings: [{ host_port: hostPort, container_port: 80, protocol: 'tcp' }] },
});

/** A task group's task: a MESOS container without network_infos (the pod's network is its executor's). */
const POD_CONTAINER: Json = { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'nginx' } } } };

/** The cases; the expected answers per config are in the tests. */
export const ADDRESS_TASKS: readonly AddressTask[] = [
  // A bridged Docker task: its container IP is the bridge's, reachable only on the agent.
  { name: 'bridged', statuses: [[{ ips: ['172.17.0.2'] }]], container: dockerBridge(31000) },
  // IP-per-container on a virtual network, without port mappings.
  { name: 'overlay', statuses: [[{ name: 'dcos', ips: ['9.0.0.2'] }]], container: { type: 'MESOS', network_infos: [{ name: 'dcos' }] } },
  // IP-per-container with port mappings (the agent forwards its host port into the container).
  {
    name: 'mapped',
    statuses: [[{ name: 'dcos', ips: ['9.0.0.3'] }]],
    container: { type: 'MESOS', network_infos: [{ name: 'dcos', port_mappings: [{ host_port: 31001, container_port: 80, protocol: 'tcp' }] }] },
  },
  // Two networks: IPNetworks chooses.
  { name: 'multi', statuses: [[{ name: 'dcos', ips: ['9.0.1.1'] }, { name: 'calico', ips: ['192.168.0.4'] }]] },
  // A health-check status (RUNNING, no network_infos) after the one with the container IP.
  { name: 'checked', statuses: [[{ name: 'dcos', ips: ['9.0.0.5'] }], null] },
  // The task's own order: the agent, though it has a container IP.
  { name: 'labelled', statuses: [[{ name: 'dcos', ips: ['9.0.0.6'] }]], labels: [{ key: 'MESOS_DNS_IP_SOURCES', value: 'host' }] },
  // A label that is not a source list: the global rule, and one warning.
  { name: 'mislabelled', statuses: [[{ name: 'dcos', ips: ['9.0.0.7'] }]], labels: [{ key: 'MESOS_DNS_IP_SOURCES', value: 'netinfo,agent' }] },
  // Host networking: no container IP at all; labels and container of the wrong shape, read as absent.
  { name: 'hostnet', statuses: [null], more: { labels: 'MESOS_DNS_IP_SOURCES=netinfo', container: 5 } },
  // Minuteman VIPs (DcosNames): a named VIP on a container port (a DiscoveryInfo port label)...
  {
    name: 'web',
    statuses: [[{ name: 'dcos', ips: ['9.0.2.1'] }]],
    more: { discovery: { name: 'web', visibility: 'FRAMEWORK', ports: { ports: [{ number: 80, name: 'http', protocol: 'tcp', labels: { labels: [{ key: 'VIP_0', value: '/web:80' }] } }] } } },
  },
  // ... an IP VIP ...
  {
    name: 'db',
    statuses: [[{ name: 'dcos', ips: ['9.0.2.2'] }]],
    more: { discovery: { name: 'db', visibility: 'FRAMEWORK', ports: { ports: [{ number: 5432, protocol: 'tcp', labels: { labels: [{ key: 'VIP_0', value: '10.10.10.10:5432' }] } }] } } },
  },
  // ... IP VIPs of both families on an IPv4 task: only the IPv4 one has it as a backend ...
  {
    name: 'db4',
    statuses: [[{ name: 'dcos', ips: ['9.0.2.6'] }]],
    more: {
      discovery: {
        name: 'db4',
        visibility: 'FRAMEWORK',
        ports: { ports: [{ number: 5432, protocol: 'tcp', labels: { labels: [{ key: 'VIP_0', value: 'fd01:c::11:5432' }, { key: 'VIP_1', value: '10.10.10.11:5432' }] } }] },
      },
    },
  },
  // ... and a named VIP on a host port (a VIP_PORT task label, host networking).
  { name: 'api', statuses: [null], ports: [31500, 31500], labels: [{ key: 'VIP_PORT0', value: 'tcp://api:8080' }] },
  // A pod's task (a task group's: MESOS, no network_infos of its own) whose pod maps host port
  // 31600: the mapping is in its status only, and counts (dcos-net handle_task_port_mappings)...
  { name: 'pod', statuses: [[{ name: 'dcos', ips: ['9.0.4.1'], hostPorts: [31600] }]], container: POD_CONTAINER },
  // ... a pod's task without host ports ...
  { name: 'podplain', statuses: [[{ name: 'dcos', ips: ['9.0.4.2'] }]], container: POD_CONTAINER },
  // ... and a pod's task whose status has no mapping yet (a TASK_UPDATED brings one in the stream
  // test), with a VIP on the container port that mapping will map.
  { name: 'podlater', statuses: [[{ name: 'dcos', ips: ['9.0.4.3'] }]], container: POD_CONTAINER, more: { discovery: vipDiscovery('podlater', 80, '/podlater:80') } },
  // VIPs on a container port that a port mapping maps to a host port: the backend is the agent
  // and the host port (dcos-net merge_task_ports). A bridged Docker task mapping 31700 -> 80, whose
  // second VIP `[fd00::1]:80` is a named VIP (`fd001`: dcos-net reads no brackets)...
  { name: 'webmapped', statuses: [[{ ips: ['172.17.0.3'] }]], container: dockerBridge(31700), more: { discovery: vipDiscovery('webmapped', 80, '/webmapped:80', '[fd00::1]:80') } },
  // ... and a pod's task whose status maps 31800 -> 80.
  { name: 'podvip', statuses: [[{ name: 'dcos', ips: ['9.0.4.4'], hostPorts: [31800] }]], container: POD_CONTAINER, more: { discovery: vipDiscovery('podvip', 80, '/podvip:80') } },
];

const networkInfos = (nets: Net[]): Json[] =>
  nets.map((n) => ({
    ...(n.name === undefined ? {} : { name: n.name }),
    ip_addresses: n.ips.map((ip) => ({ protocol: 'IPv4', ip_address: ip })),
    ...(n.hostPorts === undefined ? {} : { port_mappings: n.hostPorts.map((p) => ({ host_port: p, container_port: 80, protocol: 'tcp' })) }),
  }));

function status(nets: Net[] | null, i: number, healthy: boolean): Json {
  const s: Json = { state: 'TASK_RUNNING', timestamp: 1_700_000_000 + i };
  if (nets !== null) s.container_status = { network_infos: networkInfos(nets) };
  // Only the health-check update (a status with no network_infos after the first) says healthy.
  if (healthy) s.healthy = true;
  return s;
}

/** The cases as a /master/state document led by 127.0.0.1:`port`. */
export function addressState(port: number): Json {
  return {
    leader: `master@127.0.0.1:${port}`,
    slaves: [{ id: 'a1', pid: `slave(1)@${AGENT_IP}:5051`, hostname: AGENT_IP }],
    frameworks: [
      {
        id: 'fw1',
        name: 'marathon',
        pid: 'scheduler@10.1.0.100:8080',
        tasks: ADDRESS_TASKS.map((t) => ({
          id: `${t.name}.1`,
          name: t.name,
          slave_id: 'a1',
          framework_id: 'fw1',
          state: 'TASK_RUNNING',
          resources: { ports: t.ports ? `[${t.ports[0]}-${t.ports[1]}]` : '[]' },
          statuses: t.statuses.map((nets, i) => ({ task_id: `${t.name}.1`, ...status(nets, i, i > 0) })),
          ...(t.labels ? { labels: t.labels } : {}),
          ...(t.container ? { container: t.container } : {}),
          ...t.more,
        })),
      },
    ],
  };
}

/** The cases as an Operator API GET_STATE (v1 shapes: wrapped ids, `{labels: [...]}`). */
export function addressGetState(): Json {
  return getState({
    agents: [v1Agent('a1', AGENT_IP)],
    frameworks: [v1Framework('fw1', 'marathon')],
    tasks: ADDRESS_TASKS.map((t) => ({
      name: t.name,
      task_id: { value: `${t.name}.1` },
      framework_id: { value: 'fw1' },
      agent_id: { value: 'a1' },
      state: 'TASK_RUNNING',
      resources: t.ports ? [{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: t.ports[0], end: t.ports[1] }] } }] : [],
      statuses: t.statuses.map((nets, i) => ({ task_id: { value: `${t.name}.1` }, ...status(nets, i, i > 0) })),
      ...(t.labels ? { labels: { labels: t.labels } } : {}),
      ...(t.container ? { container: t.container } : {}),
      ...t.more,
    })),
  });
}

/** Expected A records per task name, for each configuration the tests run. */
export const EXPECTED: Record<string, Record<string, string[]>> = {
  // mesos-dns's rule (IPSources netinfo, mesos, host), with the health-check status fixed.
  default: {
    bridged: ['172.17.0.2'],
    overlay: ['9.0.0.2'],
    mapped: ['9.0.0.3'],
    multi: ['9.0.1.1', '192.168.0.4'],
    checked: ['9.0.0.5'],
    labelled: [AGENT_IP],
    mislabelled: ['9.0.0.7'],
    hostnet: [AGENT_IP],
    web: ['9.0.2.1'],
    db: ['9.0.2.2'],
    db4: ['9.0.2.6'],
    api: [AGENT_IP],
    pod: ['9.0.4.1'],
    podplain: ['9.0.4.2'],
    podlater: ['9.0.4.3'],
    webmapped: ['172.17.0.3'],
    podvip: ['9.0.4.4'],
  },
  // IPNetworks ["calico"]: only calico addresses count; the others fall through to `host`.
  calico: {
    bridged: [AGENT_IP],
    overlay: [AGENT_IP],
    mapped: [AGENT_IP],
    multi: ['192.168.0.4'],
    checked: [AGENT_IP],
    labelled: [AGENT_IP],
    mislabelled: [AGENT_IP],
    hostnet: [AGENT_IP],
    web: [AGENT_IP],
    db: [AGENT_IP],
    db4: [AGENT_IP],
    api: [AGENT_IP],
    pod: [AGENT_IP],
    podplain: [AGENT_IP],
    podlater: [AGENT_IP],
    webmapped: [AGENT_IP],
    podvip: [AGENT_IP],
  },
  // AddressPolicy "auto": the container address without port mappings (the container's, or a
  // pod task's in its status), else the agent's.
  auto: {
    bridged: [AGENT_IP],
    overlay: ['9.0.0.2'],
    mapped: [AGENT_IP],
    multi: ['9.0.1.1', '192.168.0.4'],
    checked: ['9.0.0.5'],
    labelled: [AGENT_IP],
    mislabelled: ['9.0.0.7'],
    hostnet: [AGENT_IP],
    web: ['9.0.2.1'],
    db: ['9.0.2.2'],
    db4: ['9.0.2.6'],
    api: [AGENT_IP],
    pod: [AGENT_IP],
    podplain: ['9.0.4.2'],
    podlater: ['9.0.4.3'],
    webmapped: [AGENT_IP],
    podvip: [AGENT_IP],
  },
  // "auto" with IPNetworks ["dcos"].
  autoDcos: {
    bridged: [AGENT_IP],
    overlay: ['9.0.0.2'],
    mapped: [AGENT_IP],
    multi: ['9.0.1.1'],
    checked: ['9.0.0.5'],
    labelled: [AGENT_IP],
    mislabelled: ['9.0.0.7'],
    hostnet: [AGENT_IP],
    web: ['9.0.2.1'],
    db: ['9.0.2.2'],
    db4: ['9.0.2.6'],
    api: [AGENT_IP],
    pod: [AGENT_IP],
    podplain: ['9.0.4.2'],
    podlater: ['9.0.4.3'],
    webmapped: [AGENT_IP],
    podvip: [AGENT_IP],
  },
};

/** The config keys of each EXPECTED case. */
export const CASE_CONFIG: Record<string, Json> = {
  default: {},
  calico: { IPNetworks: ['calico'] },
  auto: { AddressPolicy: 'auto' },
  autoDcos: { AddressPolicy: 'auto', IPNetworks: ['dcos'] },
};
