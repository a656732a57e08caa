// The parts of the awkward test tasks that the /master/state document (read-state.ts's
// richState) and the v1 SUBSCRIBED record (read-subscribed.ts's richSnapshot) write the same
// way, and what both readers must make of them. Functions, not constants: the agreement tests
// damage their documents in place.
import { expect } from '@jest/globals';
import type { DiscoveryPort, Task } from '../../src/mesos/state.js';

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
    ipSources: 'netinfo,host',
    vips: [
      { vip: 'dns:53', protocol: 'udp', port: 31101, hostPort: true },
      { vip: '/web:80', protocol: 'tcp', port: 80, hostPort: false },
      { vip: '10.0.0.5:53', protocol: 'udp', port: 31101, hostPort: true },
    ],
  });
  expect(bridge.addressing).toEqual({ hostPorts: true, ipSources: 'bogus' });
  expect(bridge.running?.networkNames).toBeUndefined();
}
