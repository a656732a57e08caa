// A task's own say in its address (issue 15 item 1) and its Minuteman VIPs (item 5), from the
// task's `labels`, `container` and `discovery` JSON. Shared by every reader: parse-task.ts
// (/master/state), operator-state.ts (Operator API v1) and read-state.ts (the native reader hands
// over these three values' bytes). Pure and lenient: a value of the wrong type counts as absent,
// so these fields never make a task malformed (mesos-dns does not read them at all).
//
// The rules are dcos-net's (apps/dcos_net/src/dcos_net_mesos_listener.erl, handle_task_ports and
// friends), documented in docs/addresses.md and docs/dcos-names.md. The status's port mappings (a
// pod's task) are read by the status readers (statusPortMapped, statusPortMappings) into
// RunningStatus.portMapped and .portMappings; publishesHostPorts and taskVips join the two.
import type { PortMapping, Task, TaskAddressing, TaskVip } from './state.js';

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
 * The entries of a port mapping list that dcos-net keeps (handle_port_mappings): a container port,
 * a host port and a protocol `tcp` or `udp` (any case), appended to `out`. dcos-net drops an entry
 * with another protocol; one without a field it fails on as a whole task, which here is dropping
 * that entry alone (lenient, like the rest of this module).
 */
function portMappingsOf(list: unknown, out: PortMapping[]): void {
  for (const raw of arr(list)) {
    const m = obj(raw);
    if (m === undefined) continue;
    const containerPort = portNumber(m.container_port);
    const hostPort = portNumber(m.host_port);
    const protocol = protocolOf(m.protocol);
    if (containerPort !== undefined && hostPort !== undefined && protocol !== undefined) out.push({ containerPort, hostPort, protocol });
  }
}

/** The port mappings and the say of a task's container (containerPorts). */
interface ContainerPorts {
  /** It lists its own port mappings (a DOCKER type, or a `network_infos` list): the status's are not read. */
  own: boolean;
  /** One of them has a host port (hasPortMapping). */
  mapped: boolean;
  /** The usable ones (portMappingsOf). */
  mappings: PortMapping[];
}

const NO_CONTAINER: ContainerPorts = Object.freeze({ own: false, mapped: false, mappings: [] as PortMapping[] });

/**
 * Port mappings, by container type as dcos-net reads them (handle_task_port_mappings): a DOCKER
 * container's `docker.port_mappings`; otherwise (MESOS, or no type) `network_infos[].port_mappings`.
 * A container with neither a DOCKER type nor a `network_infos` list (a pod's task, or no
 * container at all) leaves them to the status (statusPortMapped), so `own` is not set.
 */
function containerPorts(container: unknown): ContainerPorts {
  const c = obj(container);
  if (c === undefined) return NO_CONTAINER;
  const mappings: PortMapping[] = [];
  if (c.type === 'DOCKER') {
    const list = obj(c.docker)?.port_mappings;
    portMappingsOf(list, mappings);
    return { own: true, mapped: hasPortMapping(list), mappings };
  }
  if (!Array.isArray(c.network_infos)) return NO_CONTAINER;
  let mapped = false;
  for (const info of c.network_infos) {
    const list = obj(info)?.port_mappings;
    if (hasPortMapping(list)) mapped = true;
    portMappingsOf(list, mappings);
  }
  return { own: true, mapped, mappings };
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
 * The usable port mappings (portMappingsOf) of a status's `container_status` (any JSON) in its
 * `network_infos[].port_mappings`, or undefined when there are none: a pod's task's, which dcos-net
 * reads when the task's container lists none of its own (handle_task_port_mappings).
 */
export function statusPortMappings(containerStatus: unknown): readonly PortMapping[] | undefined {
  const out: PortMapping[] = [];
  for (const info of arr(obj(containerStatus)?.network_infos)) portMappingsOf(obj(info)?.port_mappings, out);
  return out.length > 0 ? out : undefined;
}

/**
 * dcos-net's merge of port mappings into the ports that carry VIP labels
 * (dcos_net_mesos_listener.erl merge_task_ports, match_task_port): a VIP on a container port (a
 * DiscoveryInfo port without `network-scope: host`) whose protocol and number are a mapping's
 * protocol and container port becomes a VIP on that mapping's host port, so its backend is the
 * agent on the host port (dcos_l4lb_mesos_poller.erl backends). When several mappings have that
 * container port, the last one listed (dcos-net merges each mapping into the one before it with
 * the same container port, its host port winning). VIPs on host ports stay as they are: a mapping
 * with their host port only adds its container port, which the backend does not use.
 */
function mapVips(vips: readonly TaskVip[], mappings: readonly PortMapping[]): readonly TaskVip[] {
  let out: TaskVip[] | undefined;
  for (let i = 0; i < vips.length; i++) {
    const v = vips[i];
    if (v.hostPort) continue;
    let hostPort: number | undefined;
    for (const m of mappings) if (m.containerPort === v.port && m.protocol === v.protocol) hostPort = m.hostPort;
    if (hostPort === undefined) continue;
    out ??= vips.slice();
    out[i] = { vip: v.vip, protocol: v.protocol, port: hostPort, hostPort: true };
  }
  return out ?? vips;
}

/**
 * The task's VIPs as their backends are made: TaskAddressing.vips (the container's own port
 * mappings already applied), and, when the container lists no port mappings of its own (a pod's
 * task), with those of the status that gives its container addresses (RunningStatus.portMappings)
 * applied the same way (mapVips). Undefined when the task has no VIPs. Pure; cheap when nothing maps.
 */
export function taskVips(task: Task): readonly TaskVip[] | undefined {
  const a = task.addressing;
  const vips = a?.vips;
  if (vips === undefined || a?.ownPortMappings === true) return vips;
  const mappings = task.running?.portMappings;
  return mappings === undefined ? vips : mapVips(vips, mappings);
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
  const c = containerPorts(container);
  let hostPorts = c.mapped;
  // Port-mapping VIPs first, then DiscoveryInfo's, as dcos-net merges them.
  if (taskLabelVips(taskLabels, ports, vips)) hostPorts = true;
  if (discoveryVips(discovery, vips)) hostPorts = true;
  const ipSources = taskLabels.find((l) => l.key === IP_SOURCES_LABEL)?.value;
  if (ipSources === undefined && !hostPorts && vips.length === 0) return c.own ? OWN_ONLY : undefined;
  const out: TaskAddressing = { hostPorts };
  if (c.own) out.ownPortMappings = true;
  if (ipSources !== undefined) out.ipSources = ipSources;
  if (vips.length > 0) out.vips = c.mappings.length > 0 ? mapVips(vips, c.mappings) : vips;
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
