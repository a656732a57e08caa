// The parts of the awkward test tasks that the /master/state document (read-state.ts's
// richState) and the v1 SUBSCRIBED record (read-subscribed.ts's richSnapshot) write the same
// way, and what both readers must make of them. Functions, not constants: the agreement tests
// damage their documents in place.
import { expect } from '@jest/globals';
import type { DiscoveryPort, Task } from '../../src/mesos/state.js';
import { publishesHostPorts, taskVips } from '../../src/mesos/task-addressing.js';

type Json = Record<string, unknown>;

/** The café task's status labels: a Mesos IP, one without a value, others ignored. */
export const cafeIpLabels = (): Json[] => [
  { key: 'MesosContainerizer.NetworkSettings.IPAddress', value: '10.0.0.7' },
  { key: 'MesosContainerizer.NetworkSettings.IPAddress' },
  { key: 'other', value: 'x' },
  { value: 'no key' },
];

/** The café task's network infos: both address forms, an empty address, IPv6, nulls. */
export const cafeNetworkInfos = (): Json[] => [
  { ip_addresses: [{ ip_address: '10.9.0.1' }, { ip_address: '' }, { protocol: 'IPv6', ip_address: 'fd00::1' }, {}] },
  { ip_address: '10.9.0.2', ip_addresses: [] },
  { ip_address: '10.9.0.3' },
  { ip_addresses: null, ip_address: null },
];

/** The vip task's container: a MESOS network with a port mapping. */
export const vipContainer = (): Json => ({ type: 'MESOS', network_infos: [{ name: 'dcos', port_mappings: [{ host_port: 31100, container_port: 80, protocol: 'tcp' }] }] });

/** The vip task's statuses: the newest RUNNING one has no network IPs, older ones have some. */
export const vipStatuses = (): Json[] => [
  { state: 'TASK_RUNNING', timestamp: 10, container_status: { network_infos: [{ name: 'dcos', ip_addresses: [{ ip_address: '9.0.0.1' }] }, { name: 5, ip_address: '9.0.0.2' }] } },
  { state: 'TASK_RUNNING', timestamp: 20, healthy: true, container_status: { network_infos: [] } },
  { state: 'TASK_RUNNING', timestamp: 15, container_status: { network_infos: [{ name: 'other', ip_addresses: [{ ip_address: '9.0.0.9' }] }, { ip_addresses: [{ ip_address: '9.0.0.3' }] }] } },
];

/** The vip task's DiscoveryInfo: VIP and network-scope port labels. */
export const vipDiscovery = (): Json => ({
  name: 'vip',
  ports: {
    ports: [
      { number: 80, protocol: 'tcp', name: 'http', labels: { labels: [{ key: 'VIP_0', value: '/web:80' }, { key: 'network-scope', value: 'container' }] } },
      { number: 31101, protocol: 'UDP', labels: { labels: [{ key: 'network-scope', value: 'host' }, { key: 'vip1', value: '10.0.0.5:53' }] } },
    ],
  },
});

/** The bridge task's container: Docker BRIDGE with a port mapping. */
export const bridgeContainer = (): Json => ({ type: 'DOCKER', docker: { network: 'BRIDGE', port_mappings: [{ host_port: 31200, container_port: 80, protocol: 'tcp' }] } });

/** The bridge task's one status, with a network IP. */
export const bridgeStatuses = (): Json[] => [{ state: 'TASK_RUNNING', timestamp: 3, container_status: { network_infos: [{ ip_addresses: [{ ip_address: '172.17.0.5' }] }] } }];

/**
 * The pod tasks' container: a task group's task (MESOS, no network_infos of its own; the pod's
 * network is its executor's), so its statuses' port mappings count (dcos-net
 * handle_task_port_mappings). Its image's `type: DOCKER` is not the container's type.
 */
export const podContainer = (): Json => ({ type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'nginx' } } } });

/**
 * The pod task's statuses: an older RUNNING one with the network and its port mappings in awkward
 * forms (one good: a host_port written as digits), a newer RUNNING one without a network (it
 * keeps the older one's addresses and mappings), a newer STARTING one with a mapping (not read).
 */
export const podStatuses = (): Json[] => [
  {
    state: 'TASK_RUNNING',
    timestamp: 5,
    container_status: {
      network_infos: [
        {
          name: 'dcos',
          ip_addresses: [{ ip_address: '9.0.1.1' }],
          port_mappings: [
            5, null, { host_port: -1 }, { host_port: '31300', container_port: 80, protocol: 'tcp' },
            // usable for VIPs too: container port as digits, protocol in capitals...
            { host_port: 31301, container_port: '81', protocol: 'UDP' },
            // ... not: another protocol, no protocol, no container port (host ports all the same)
            { host_port: 31302, container_port: 82, protocol: 'sctp' }, { host_port: 31303, container_port: 83 }, { host_port: 31304, protocol: 'tcp' },
          ],
        },
      ],
    },
  },
  { state: 'TASK_RUNNING', timestamp: 9, healthy: true, container_status: {} },
  { state: 'TASK_STARTING', timestamp: 12, container_status: { network_infos: [{ port_mappings: [{ host_port: 31399 }] }] } },
];

/**
 * The pod task's DiscoveryInfo: VIPs on container ports its status maps (tcp 80 -> 31300, udp 81
 * -> 31301), on one of the wrong protocol (udp 80), and on one mapped without a protocol (83).
 */
export const podDiscovery = (): Json => ({
  name: 'pod',
  ports: {
    ports: [
      { number: 80, protocol: 'tcp', labels: { labels: [{ key: 'VIP_0', value: '/pod:80' }] } },
      { number: 80, protocol: 'udp', labels: { labels: [{ key: 'VIP_0', value: '/podu:80' }] } },
      { number: 81, protocol: 'udp', labels: { labels: [{ key: 'VIP_0', value: '[fd00::1]:81' }] } },
      { number: 83, protocol: 'tcp', labels: { labels: [{ key: 'VIP_0', value: '/pod83:83' }] } },
    ],
  },
});

/** The plain pod task's statuses: port mappings without a usable host port only; the STARTING one's is not read. */
export const podPlainStatuses = (): Json[] => [
  {
    state: 'TASK_RUNNING',
    timestamp: 4,
    container_status: {
      network_infos: [
        { name: 'dcos', ip_addresses: [{ ip_address: '9.0.1.2' }], port_mappings: [{ container_port: 80 }, { host_port: 70000 }, { host_port: 1.5 }, { host_port: '3a' }, { host_port: '' }, { host_port: null }] },
        { port_mappings: { host_port: 31000 } },
        { port_mappings: null },
      ],
    },
  },
  { state: 'TASK_STARTING', timestamp: 2, container_status: { network_infos: [{ port_mappings: [{ host_port: 31398 }] }] } },
];

/** The own-networks task's container: it lists its network_infos (no mapping), so its statuses' mappings do not count. */
export const ownNetworksContainer = (): Json => ({ type: 'MESOS', network_infos: [{ name: 'dcos' }] });

/** The Docker host-network task's container: DOCKER lists its own port mappings (none), so its statuses' do not count. */
export const dockerHostContainer = (): Json => ({ docker: { image: 'nginx', network: 'HOST' }, type: 'DOCKER' });

/** The own-networks task's status: a network with a port mapping (host_port 0 is a port). */
export const ownNetworksStatuses = (): Json[] => [
  { state: 'TASK_RUNNING', timestamp: 1, container_status: { network_infos: [{ name: 'dcos', ip_addresses: [{ ip_address: '9.0.1.3' }], port_mappings: [{ host_port: 0 }] }] } },
];

/** What both readers make of the pod, plain pod, own-networks and Docker host tasks (appended after bridge, in this order). */
export function expectPods(pod: Task, plain: Task, own: Task, dockerHost: Task): void {
  expect(pod.running).toEqual({
    timestamp: 9,
    healthy: true,
    networkIPs: ['9.0.1.1'],
    networkNames: ['dcos'],
    mesosLabelIPs: [],
    dockerLabelIPs: [],
    portMapped: true,
    portMappings: [
      { containerPort: 80, hostPort: 31300, protocol: 'tcp' },
      { containerPort: 81, hostPort: 31301, protocol: 'udp' },
    ],
  });
  // The VIPs as read are on container ports; the status's mappings move two to host ports.
  const vips = [
    { vip: '/pod:80', protocol: 'tcp', port: 80, hostPort: false },
    { vip: '/podu:80', protocol: 'udp', port: 80, hostPort: false },
    { vip: '[fd00::1]:81', protocol: 'udp', port: 81, hostPort: false },
    { vip: '/pod83:83', protocol: 'tcp', port: 83, hostPort: false },
  ];
  expect(pod.addressing).toEqual({ hostPorts: false, vips });
  expect(taskVips(pod)).toEqual([{ ...vips[0], port: 31300, hostPort: true }, vips[1], { ...vips[2], port: 31301, hostPort: true }, vips[3]]);
  expect(publishesHostPorts(pod)).toBe(true);
  expect(plain.running).toEqual({ timestamp: 4, networkIPs: ['9.0.1.2'], networkNames: ['dcos'], mesosLabelIPs: [], dockerLabelIPs: [] });
  expect(plain.addressing).toBeUndefined();
  expect(publishesHostPorts(plain)).toBe(false);
  expect(own.running?.portMapped).toBe(true);
  expect(own.addressing).toEqual({ hostPorts: false, ownPortMappings: true });
  expect(publishesHostPorts(own)).toBe(false);
  expect(dockerHost.running?.portMapped).toBe(true);
  expect(dockerHost.addressing).toEqual({ hostPorts: false, ownPortMappings: true });
  expect(publishesHostPorts(dockerHost)).toBe(false);
}

/** What both readers make of the café task's discovery ports (the four the two documents share). */
export function expectCafeDiscoveryPorts(ports: DiscoveryPort[] | undefined): void {
  expect(ports).toEqual([
    { number: 80, protocol: 'tcp', name: 'http' },
    { number: 80, protocol: '', name: '' },
    { number: 53, protocol: 'udp', name: '' },
    { number: 0, protocol: '', name: '' },
  ]);
}

/** What both readers make of the vip and bridge tasks. */
export function expectVipAndBridge(vip: Task, bridge: Task): void {
  // The newest RUNNING status has no network IPs: the newest one that has some gives them.
  expect(vip.running).toEqual({ timestamp: 20, networkIPs: ['9.0.0.9', '9.0.0.3'], networkNames: ['other', ''], mesosLabelIPs: [], dockerLabelIPs: [], healthy: true });
  expect(vip.addressing).toEqual({
    hostPorts: true,
    ownPortMappings: true,
    ipSources: 'netinfo,host',
    vips: [
      { vip: 'dns:53', protocol: 'udp', port: 31101, hostPort: true },
      // On container port 80, which the container maps to host port 31100 (dcos-net merge_task_ports).
      { vip: '/web:80', protocol: 'tcp', port: 31100, hostPort: true },
      { vip: '10.0.0.5:53', protocol: 'udp', port: 31101, hostPort: true },
    ],
  });
  expect(taskVips(vip)).toBe(vip.addressing?.vips);
  expect(bridge.addressing).toEqual({ hostPorts: true, ownPortMappings: true, ipSources: 'bogus' });
  expect(bridge.running?.networkNames).toBeUndefined();
}
