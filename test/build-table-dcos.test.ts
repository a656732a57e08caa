// DC/OS names (DcosNames, issue 15 item 5; docs/dcos-names.md) in the table build: dcos-net's
// agentip/containerip/autoip names and the l4lb VIP names, from the cluster of
// test/helpers/address-tasks.ts read by each reader; lookup answers them as a zone of its own.
import { describe, expect, it } from '@jest/globals';
import { lookup } from '../src/dns/answer/lookup.js';
import { QCLASS, QTYPE } from '../src/dns/wire/message.js';
import { fromGetState } from '../src/mesos/operator-state.js';
import { parseState } from '../src/mesos/parse-state.js';
import { parsePid } from '../src/mesos/pid.js';
import { readStateBytes } from '../src/mesos/read-state.js';
import type { MasterState } from '../src/mesos/state.js';
import { buildTable } from '../src/records/build-table.js';
import type { RecordTable } from '../src/records/table.js';
import { taskHash } from '../src/records/task-hash.js';
import { addressGetState, addressState, AGENT_IP } from './helpers/address-tasks.js';
import { a, aaaa, inputs, srv } from './helpers/build-table.js';
import { bytesOf, nativeAddon } from './helpers/read-state.js';
import { recordOf } from './helpers/read-subscribed.js';
import { subscribed } from './helpers/stream-master.js';
import { readSubscribedRecord } from '../src/mesos/read-subscribed.js';
import { statusPortMappings, taskAddressing, taskVips } from '../src/mesos/task-addressing.js';
import type { Task } from '../src/mesos/state.js';

const READERS: Record<string, () => MasterState> = {
  '/master/state': () => parseState(addressState(5050)),
  'the native reader': () => readStateBytes(bytesOf(addressState(5050)), nativeAddon()).state,
  'the Operator API': () => fromGetState(addressGetState(), parsePid('master@127.0.0.1:5050')),
  'the native SUBSCRIBED reader': () => readSubscribedRecord(recordOf(subscribed(addressGetState())), parsePid('master@127.0.0.1:5050'), nativeAddon()).read.state.master,
};

const Z = 'thisdcos.directory.';
const canonical = (name: string): string => `${name}-${taskHash(`${name}.1`)}-a1.marathon.slave.mesos.`;
const apiCanonical = canonical('api');

/** [name, A records] of the DC/OS names the cluster gets. */
const WANT_A: [string, string[] | undefined][] = [
  [`bridged.marathon.agentip.dcos.${Z}`, [AGENT_IP]],
  [`bridged.marathon.containerip.dcos.${Z}`, ['172.17.0.2']],
  [`bridged.marathon.autoip.dcos.${Z}`, [AGENT_IP]],
  [`overlay.marathon.containerip.dcos.${Z}`, ['9.0.0.2']],
  [`overlay.marathon.autoip.dcos.${Z}`, ['9.0.0.2']],
  [`mapped.marathon.autoip.dcos.${Z}`, [AGENT_IP]],
  [`multi.marathon.autoip.dcos.${Z}`, ['9.0.1.1', '192.168.0.4']],
  [`checked.marathon.containerip.dcos.${Z}`, ['9.0.0.5']],
  [`hostnet.marathon.agentip.dcos.${Z}`, [AGENT_IP]],
  [`hostnet.marathon.containerip.dcos.${Z}`, undefined],
  [`hostnet.marathon.autoip.dcos.${Z}`, [AGENT_IP]],
  // A named VIP on a container port: the backends' container addresses.
  [`web.marathon.l4lb.${Z}`, ['9.0.2.1']],
  // An IP VIP: its address, under the task's name.
  [`db.marathon.l4lb.${Z}`, ['10.10.10.10']],
  // IP VIPs of both families on an IPv4 task: only the IPv4 one keeps it as a backend.
  [`db4.marathon.l4lb.${Z}`, ['10.10.10.11']],
  // A named VIP on a host port: the agent.
  [`api.marathon.l4lb.${Z}`, [AGENT_IP]],
  // A pod's task whose status maps a host port: autoip is the agent; without one, the container.
  [`pod.marathon.containerip.dcos.${Z}`, ['9.0.4.1']],
  [`pod.marathon.autoip.dcos.${Z}`, [AGENT_IP]],
  [`podplain.marathon.autoip.dcos.${Z}`, ['9.0.4.2']],
  // Named VIPs on a container port that a port mapping maps: the agent (dcos-net merge_task_ports),
  // from the container's own mappings or a pod's status's; without a mapping, the container.
  [`webmapped.marathon.l4lb.${Z}`, [AGENT_IP]],
  [`podvip.marathon.l4lb.${Z}`, [AGENT_IP]],
  [`podlater.marathon.l4lb.${Z}`, ['9.0.4.3']],
  // `[fd00::1]:80` is a named VIP, `fd001`, not an IP VIP (dcos-net: inet:parse_strict_address takes no brackets).
  [`fd001.marathon.l4lb.${Z}`, [AGENT_IP]],
];

function build(state: MasterState, config: Record<string, unknown> = { DcosNames: true }): RecordTable {
  return buildTable(state, inputs({ masters: [], config }));
}

describe('DC/OS names', () => {
  it.each(Object.keys(READERS))('read from %s', (reader) => {
    const table = build(READERS[reader]());
    for (const [name, want] of WANT_A) expect([name, a(table, name) ? [...(a(table, name) ?? [])] : undefined]).toEqual([name, want]);
    expect(srv(table, `_web._tcp.marathon.l4lb.${Z}`)).toEqual([`web.marathon.containerip.dcos.${Z}:80`]);
    expect(srv(table, `_api._tcp.marathon.l4lb.${Z}`)).toEqual([`${apiCanonical}:31500`]);
    expect(a(table, apiCanonical)).toEqual([AGENT_IP]);
    // Mapped: the agent's name and the host port.
    expect(srv(table, `_webmapped._tcp.marathon.l4lb.${Z}`)).toEqual([`${canonical('webmapped')}:31700`]);
    expect(srv(table, `_fd001._tcp.marathon.l4lb.${Z}`)).toEqual([`${canonical('webmapped')}:31700`]);
    expect(srv(table, `_podvip._tcp.marathon.l4lb.${Z}`)).toEqual([`${canonical('podvip')}:31800`]);
    expect(srv(table, `_podlater._tcp.marathon.l4lb.${Z}`)).toEqual([`podlater.marathon.containerip.dcos.${Z}:80`]);
    expect(aaaa(table, `webmapped.marathon.l4lb.${Z}`) ?? []).toEqual([]);
    // db4's IPv6 VIP has no IPv6 backend in it: no AAAA.
    expect(aaaa(table, `db4.marathon.l4lb.${Z}`) ?? []).toEqual([]);
  });

  it('publish an IP VIP on a container port only under a task with a container address of its family (dcos-net validate_backend_ip)', () => {
    const doc = addressState(5050) as { frameworks: { tasks: { name: string; statuses: { container_status?: unknown }[] }[] }[] };
    // db4 moved to an IPv6-only container address: now only its IPv6 VIP has it as a backend.
    const db4 = doc.frameworks[0].tasks.find((t) => t.name === 'db4');
    db4!.statuses[0].container_status = { network_infos: [{ name: 'dcos', ip_addresses: [{ protocol: 'IPv6', ip_address: 'fd01:b::6' }] }] };
    const table = build(parseState(doc));
    expect(aaaa(table, `db4.marathon.l4lb.${Z}`)).toEqual(['fd01:c::11']);
    expect(a(table, `db4.marathon.l4lb.${Z}`) ?? []).toEqual([]);
    // Without any container address it is no backend of either.
    db4!.statuses[0].container_status = { network_infos: [] };
    expect(build(parseState(doc)).names.has(`db4.marathon.l4lb.${Z}`)).toBe(false);
  });

  it('are not made without DcosNames, and leave the Mesos names and /v1/enumerate as they are', () => {
    const state = READERS['/master/state']();
    const off = build(state, {});
    const on = build(state);
    expect([...off.names.keys()].some((n) => n.endsWith(Z))).toBe(false);
    const mesos = (t: RecordTable): [string, unknown][] => [...t.names].filter(([n]) => !n.endsWith(Z)).map(([n, r]) => [n, { a: [...r.a], srv: r.srv }]);
    expect(mesos(on)).toEqual(mesos(off));
    expect(on.enumeration).toEqual(off.enumeration);
  });

  it('answer as a zone of their own: SOA and NS at the apex, NXDOMAIN and NODATA with its SOA', () => {
    const table = build(READERS['/master/state']());
    const ask = (name: string, type: number) =>
      lookup(table, { id: 1, opcode: 0, rd: true, cd: false, question: { name, type, class: QCLASS.IN } }, { random: () => 0, recurseOn: false }, Z);
    const soa = ask('thisdcos.directory', QTYPE.SOA);
    expect(soa).toMatchObject({ kind: 'success', aa: true, answer: [{ name: Z, data: { type: QTYPE.SOA, mname: 'mesos-dns.mesos.' } }] });
    expect(ask('thisdcos.directory', QTYPE.NS).answer[0]).toMatchObject({ data: { type: QTYPE.NS, target: 'mesos-dns.mesos.' } });
    expect(ask('nothing.thisdcos.directory', QTYPE.A)).toMatchObject({ kind: 'nxdomain', authority: [{ name: Z }] });
    expect(ask('marathon.agentip.dcos.thisdcos.directory', QTYPE.A)).toMatchObject({ kind: 'nodata', authority: [{ name: Z }] });
  });
});

type Json = Record<string, unknown>;

const docker = (...mappings: Json[]): Json => ({ type: 'DOCKER', docker: { network: 'BRIDGE', port_mappings: mappings } });
const cni = (...lists: Json[][]): Json => ({ type: 'MESOS', network_infos: lists.map((port_mappings) => ({ name: 'dcos', port_mappings })) });
const POD: Json = { type: 'MESOS', mesos: { image: { type: 'DOCKER' } } };
const statusMaps = (...mappings: Json[]): Json => ({ network_infos: [{ name: 'dcos', ip_addresses: [{ ip_address: '9.0.0.1' }], port_mappings: mappings }] });
const m = (host_port: unknown, container_port: unknown, protocol?: string): Json => ({ host_port, container_port, ...(protocol === undefined ? {} : { protocol }) });
/** A DiscoveryInfo with one port carrying VIP_0 = /x:80. */
const vipOn = (number: number, protocol = 'tcp', scope?: string): Json => ({
  name: 'x',
  ports: { ports: [{ number, protocol, labels: { labels: [{ key: 'VIP_0', value: '/x:80' }, ...(scope ? [{ key: 'network-scope', value: scope }] : [])] } }] },
});

describe('VIPs on a container port that a port mapping maps (dcos-net merge_task_ports)', () => {
  // [case, container, the running status's container_status, discovery, task labels, host ports, the VIP's backend port]
  it.each<[string, Json | undefined, Json | undefined, Json | undefined, Json[] | undefined, number[], string]>([
    ['a Docker mapping of that port', docker(m(31000, 80, 'tcp')), undefined, vipOn(80), undefined, [], 'host 31000'],
    ['its protocol in capitals, its ports as digits', docker(m('31000', '80', 'TCP')), undefined, vipOn(80), undefined, [], 'host 31000'],
    ['a mapping of another protocol', docker(m(31000, 80, 'udp')), undefined, vipOn(80), undefined, [], 'container 80'],
    ['a mapping without a protocol (passed over)', docker(m(31000, 80)), undefined, vipOn(80), undefined, [], 'container 80'],
    ['a mapping of another container port', docker(m(31000, 81, 'tcp')), undefined, vipOn(80), undefined, [], 'container 80'],
    ['two mappings of that port: the last', docker(m(31000, 80, 'tcp'), m(31001, 80, 'tcp')), undefined, vipOn(80), undefined, [], 'host 31001'],
    ['a udp VIP and a udp mapping', docker(m(31000, 53, 'tcp'), m(31053, 53, 'udp')), undefined, vipOn(53, 'UDP'), undefined, [], 'host 31053'],
    ['a CNI mapping, in the second network', cni([m(31000, 81, 'tcp')], [m(31002, 80, 'tcp')]), undefined, vipOn(80), undefined, [], 'host 31002'],
    ['a host-scope port stays on its host port', docker(m(31000, 80, 'tcp')), undefined, vipOn(31000, 'tcp', 'host'), undefined, [], 'host 31000'],
    ['a VIP_PORT label stays on its host port', docker(m(31000, 80, 'tcp')), undefined, undefined, [{ key: 'VIP_PORT0', value: 'tcp://x:80' }], [31000], 'host 31000'],
    ['a pod task: its status maps the port', POD, statusMaps(m(31600, 80, 'tcp')), vipOn(80), undefined, [], 'host 31600'],
    ['no container at all: the status maps the port', undefined, statusMaps(m(31600, 80, 'tcp')), vipOn(80), undefined, [], 'host 31600'],
    ['a pod task whose status maps another port', POD, statusMaps(m(31600, 81, 'tcp')), vipOn(80), undefined, [], 'container 80'],
    ['a container with its own network_infos: the status is not read', cni([]), statusMaps(m(31600, 80, 'tcp')), vipOn(80), undefined, [], 'container 80'],
    ['a Docker container without mappings: the status is not read', docker(), statusMaps(m(31600, 80, 'tcp')), vipOn(80), undefined, [], 'container 80'],
  ])('%s', (_, container, containerStatus, discovery, labels, ports, want) => {
    const task: Task = { id: 'x.1', name: 'x', frameworkId: 'f', agentId: 'a', state: 'TASK_RUNNING', ports };
    const addressing = taskAddressing(labels, container, discovery, ports);
    if (addressing) task.addressing = addressing;
    const portMappings = statusPortMappings(containerStatus);
    task.running = { timestamp: 1, networkIPs: ['9.0.0.1'], mesosLabelIPs: [], dockerLabelIPs: [], ...(portMappings ? { portMappings } : {}) };
    expect(taskVips(task)?.map((v) => `${v.hostPort ? 'host' : 'container'} ${v.port}`)).toEqual([want]);
  });
});
