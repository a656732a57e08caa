// A task's own say in its address (issue 15 item 1) and its Minuteman VIPs (item 5), from the
// task's `labels`, `container` and `discovery` JSON. Shared by every reader: parse-task.ts
// (/master/state), operator-state.ts (Operator API v1) and read-state.ts (the native reader hands
// over these three values' bytes). Pure and lenient: a value of the wrong type counts as absent,
// so these fields never make a task malformed (mesos-dns does not read them at all).
//
// The rules are dcos-net's (apps/dcos_net/src/dcos_net_mesos_listener.erl, handle_task_ports and
// friends), documented in docs/addresses.md. The status's port mappings (a pod's task) are read by
// the status readers (statusPortMapped) into RunningStatus.portMapped; publishesHostPorts joins
// the two.
import type { Task, TaskAddressing, TaskVip } from './state.js';

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

/** containerPorts' answer: the container maps host ports; it lists its own port mappings. */
const MAPPED = 1;
const OWN = 2;

/**
 * Port mappings, by container type as dcos-net reads them (handle_task_port_mappings): a DOCKER
 * container's `docker.port_mappings`; otherwise (MESOS, or no type) `network_infos[].port_mappings`.
 * A container with neither a DOCKER type nor a `network_infos` list (a pod's task, or no
 * container at all) leaves them to the status (statusPortMapped), so OWN is not set.
 */
function containerPorts(container: unknown): number {
  const c = obj(container);
  if (c === undefined) return 0;
  if (c.type === 'DOCKER') return OWN | (hasPortMapping(obj(c.docker)?.port_mappings) ? MAPPED : 0);
  if (!Array.isArray(c.network_infos)) return 0;
  for (const info of c.network_infos) if (hasPortMapping(obj(info)?.port_mappings)) return OWN | MAPPED;
  return OWN;
}

/**
 * Whether a status's `container_status` (any JSON) lists a port mapping with a host port in its
 * `network_infos[].port_mappings`: where a pod's task shows its host ports (dcos-net
 * handle_task_port_mappings reads the status's when the task's container lists none). Lenient,
 * like the rest of this module: values of the wrong type count as absent.
 */
export function statusPortMapped(containerStatus: unknown): boolean {
  for (const info of arr(obj(containerStatus)?.network_infos)) if (hasPortMapping(obj(info)?.port_mappings)) return true;
  return false;
}

/**
 * Whether the task reaches the outside through host ports, which makes AddressPolicy "auto" and
 * the DC/OS autoip name give the agent's address: its own (TaskAddressing.hostPorts), or, when its
 * container lists no port mappings of its own, those of the status that gives its container
 * addresses (RunningStatus.portMapped; a pod's task).
 */
export function publishesHostPorts(task: Task): boolean {
  const a = task.addressing;
  if (a !== undefined && (a.hostPorts || a.ownPortMappings === true)) return a.hostPorts;
  return task.running?.portMapped === true;
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
  const mappings = containerPorts(container);
  let hostPorts = (mappings & MAPPED) !== 0;
  // Port-mapping VIPs first, then DiscoveryInfo's, as dcos-net merges them.
  if (taskLabelVips(taskLabels, ports, vips)) hostPorts = true;
  if (discoveryVips(discovery, vips)) hostPorts = true;
  const ipSources = taskLabels.find((l) => l.key === IP_SOURCES_LABEL)?.value;
  const own = (mappings & OWN) !== 0;
  if (ipSources === undefined && !hostPorts && vips.length === 0) return own ? OWN_ONLY : undefined;
  const out: TaskAddressing = { hostPorts };
  if (own) out.ownPortMappings = true;
  if (ipSources !== undefined) out.ipSources = ipSources;
  if (vips.length > 0) out.vips = vips;
  return out;
}

/** The addressing of a task whose container only lists its own port mappings, none with a host port (a Docker task on the host network): one shared value. */
const OWN_ONLY: TaskAddressing = Object.freeze({ hostPorts: false, ownPortMappings: true }) as TaskAddressing;

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
