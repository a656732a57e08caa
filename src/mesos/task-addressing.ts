// A task's own say in its address (issue 15 item 1) and its Minuteman VIPs (item 5), from the
// task's `labels`, `container` and `discovery` JSON. Shared by every reader: parse-task.ts
// (/master/state), operator-state.ts (Operator API v1) and read-state.ts (the native reader hands
// over these three values' bytes). Pure and lenient: a value of the wrong type counts as absent,
// so these fields never make a task malformed (mesos-dns does not read them at all).
//
// The rules are dcos-net's (apps/dcos_net/src/dcos_net_mesos_listener.erl, handle_task_ports and
// friends), documented in docs/addresses.md.
import type { TaskAddressing, TaskVip } from './state.js';

/** The task label that overrides IPSources for one task (docs/addresses.md). */
export const IP_SOURCES_LABEL = 'MESOS_DNS_IP_SOURCES';

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function arr(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Labels as `[{key, value}]` (/master/state task labels) or `{labels: [...]}` (protobuf JSON): entries with string key and value. */
function labelList(v: unknown): { key: string; value: string }[] {
  const list = Array.isArray(v) ? v : arr(obj(v)?.labels);
  const out: { key: string; value: string }[] = [];
  for (const raw of list) {
    const l = obj(raw);
    if (l !== undefined && typeof l.key === 'string' && typeof l.value === 'string') out.push({ key: l.key, value: l.value });
  }
  return out;
}

/** A port number as Mesos gives it: an integer 0-65535 (protobuf JSON may render it as a string). */
function portNumber(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

/** `tcp`/`udp` in any case, else undefined (dcos-net's handle_protocol drops the port). */
function protocolOf(v: unknown): 'tcp' | 'udp' | undefined {
  if (typeof v !== 'string') return undefined;
  const p = v.toLowerCase();
  return p === 'tcp' || p === 'udp' ? p : undefined;
}

/** A port mapping list with at least one `{host_port}` entry. */
function hasPortMapping(list: unknown): boolean {
  for (const raw of arr(list)) if (portNumber(obj(raw)?.host_port) !== undefined) return true;
  return false;
}

/**
 * Port mappings, by container type as dcos-net reads them: a DOCKER container's
 * `docker.port_mappings`; otherwise (MESOS, or no type) `network_infos[].port_mappings`.
 */
function containerPortMapped(container: unknown): boolean {
  const c = obj(container);
  if (c === undefined) return false;
  if (c.type === 'DOCKER') return hasPortMapping(obj(c.docker)?.port_mappings);
  for (const info of arr(c.network_infos)) if (hasPortMapping(obj(info)?.port_mappings)) return true;
  return false;
}

/** VIPs of DiscoveryInfo ports: labels whose key starts with `VIP` or `vip` (dcos-net handle_vip_labels). */
function discoveryVips(discovery: unknown, vips: TaskVip[]): boolean {
  let hostPorts = false;
  for (const raw of arr(obj(obj(discovery)?.ports)?.ports)) {
    const p = obj(raw);
    if (p === undefined) continue;
    const number = portNumber(p.number);
    const protocol = protocolOf(p.protocol);
    if (number === undefined || protocol === undefined) continue;
    const labels = labelList(p.labels);
    // `network-scope: host` makes the number a host port (dcos-net handle_port_scope).
    const host = labels.some((l) => l.key === 'network-scope' && l.value === 'host');
    // A container port 0 is no port (dcos-net is_discovery_port).
    if (!host && number === 0) continue;
    if (host) hostPorts = true;
    for (const l of labels) {
      if (l.key.startsWith('VIP') || l.key.startsWith('vip')) vips.push({ vip: l.value, protocol, port: number, hostPort: host });
    }
  }
  return hostPorts;
}

/** Whether the task labels `labels` (any JSON) have a `VIP_PORT<n>` label, the only thing here that reads the host ports. */
export function labelsReadPorts(labels: unknown): boolean {
  return labelList(labels).some((l) => l.key.toLowerCase().startsWith('vip_port'));
}

/** Task labels `VIP_PORT<n>` = `tcp://name:port`: a VIP on the task's n-th host port (dcos-net handle_task_vip_label). */
function taskLabelVips(labels: readonly { key: string; value: string }[], ports: readonly number[], vips: TaskVip[]): boolean {
  let hostPorts = false;
  for (const l of labels) {
    const key = l.key.toLowerCase();
    if (!key.startsWith('vip_port')) continue;
    const index = key.slice('vip_port'.length);
    if (!/^\d+$/.test(index)) continue;
    const port = ports[Number(index)];
    const scheme = l.value.slice(0, 6);
    if (port === undefined || (scheme !== 'tcp://' && scheme !== 'udp://')) continue;
    vips.push({ vip: l.value.slice(6), protocol: scheme.slice(0, 3), port, hostPort: true });
    hostPorts = true;
  }
  return hostPorts;
}

/**
 * The addressing facts of a task from its `labels`, `container` and `discovery` values (any JSON,
 * or undefined) and its host ports; undefined when there are none, which is most tasks.
 */
export function taskAddressing(labels: unknown, container: unknown, discovery: unknown, ports: readonly number[]): TaskAddressing | undefined {
  const taskLabels = labelList(labels);
  const vips: TaskVip[] = [];
  let hostPorts = containerPortMapped(container);
  // Port-mapping VIPs first, then DiscoveryInfo's, as dcos-net merges them.
  if (taskLabelVips(taskLabels, ports, vips)) hostPorts = true;
  if (discoveryVips(discovery, vips)) hostPorts = true;
  const ipSources = taskLabels.find((l) => l.key === IP_SOURCES_LABEL)?.value;
  if (ipSources === undefined && !hostPorts && vips.length === 0) return undefined;
  const out: TaskAddressing = { hostPorts };
  if (ipSources !== undefined) out.ipSources = ipSources;
  if (vips.length > 0) out.vips = vips;
  return out;
}

/**
 * Network names in step with a status's IPs, or undefined when all are "" (RunningStatus.networkNames).
 * Equal lists are one shared, frozen array: nearly every task of a cluster names the same network
 * or two, and an array per task was 5.6 MB of a 100,000-task state.
 */
export function networkNamesOf(names: readonly string[]): readonly string[] | undefined {
  let named = false;
  for (let i = 0; i < names.length && !named; i++) named = names[i] !== '';
  if (!named) return undefined;
  const key = names.length === 1 ? names[0] : names.join('\u0000');
  let shared = SHARED_NAMES.get(key);
  if (shared === undefined) {
    // Bounded: a state with more distinct lists than this only shares less.
    if (SHARED_NAMES.size >= 4096) SHARED_NAMES.clear();
    shared = Object.freeze([...names]);
    SHARED_NAMES.set(key, shared);
  }
  return shared;
}

const SHARED_NAMES = new Map<string, readonly string[]>();
