// Small internal types for the parts of a Mesos master state that DNS needs. Foreign JSON
// (/master/state, the Operator API's GET_STATE / events) is converted into these at the edge
// (parse-state.ts, operator-events.ts) and never carried further in.
import type { HostPort } from '../net/address.js';

/** A libprocess PID `name@host:port`, split. `host` may be an IP literal or a hostname. */
/** A libprocess pid: `name@host:port`. */
export interface Pid extends HostPort {
  name: string;
}

export interface Agent {
  id: string;
  /** From the agent pid; undefined when the agent has no usable pid. */
  pid?: Pid;
  hostname: string;
}

export interface DiscoveryPort {
  number: number;
  /** Raw protocol as given ("TCP", "udp", "" ...); sanitised by the record builder. */
  protocol: string;
  name: string;
}

export interface Discovery {
  name: string;
  ports: DiscoveryPort[];
}

/** The parts of the newest TASK_RUNNING status that the IP sources read (docs/naming.md). */
export interface RunningStatus {
  timestamp: number;
  /**
   * container_status.network_infos[].ip_addresses[].ip_address (or the 0.25 single ip_address) of
   * the newest TASK_RUNNING status that has any: a later status without them (a health-check
   * update) does not take a task's container address away (mesos-dns #417). That status may be
   * an older one than `timestamp` and `healthy` come from.
   */
  networkIPs: readonly string[];
  /**
   * The CNI network name (network_infos[].name) of each of networkIPs, in step with it; absent
   * when every one is "" (IPNetworks filters on these, records/table-ips.ts).
   */
  networkNames?: readonly string[];
  /** Values of label MesosContainerizer.NetworkSettings.IPAddress. */
  mesosLabelIPs: readonly string[];
  /** Values of label Docker.NetworkSettings.IPAddress. */
  dockerLabelIPs: readonly string[];
  /** TaskStatus.healthy when the task has a health check; undefined otherwise. */
  healthy?: boolean;
  /**
   * The status networkIPs come from lists a port mapping with a host port
   * (container_status.network_infos[].port_mappings[].host_port): how a pod's task (a task
   * group's, whose own `container` has no network_infos) shows its host ports. Absent when not.
   * Read only when the task's container does not list its own (TaskAddressing.ownPortMappings).
   */
  portMapped?: true;
  /**
   * That status's port mappings with a container port, a host port and a protocol tcp/udp
   * (task-addressing.ts statusPortMappings), in document order; absent when none. A pod's VIP on a
   * container port they map is a VIP on the host port (task-addressing.ts taskVips).
   */
  portMappings?: readonly PortMapping[];
}

/** One port mapping (Docker `port_mappings[]` or `network_infos[].port_mappings[]`), as dcos-net reads it. */
export interface PortMapping {
  containerPort: number;
  hostPort: number;
  protocol: 'tcp' | 'udp';
}

export type TaskState =
  | 'TASK_STAGING' | 'TASK_STARTING' | 'TASK_RUNNING' | 'TASK_KILLING' | 'TASK_FINISHED'
  | 'TASK_FAILED' | 'TASK_KILLED' | 'TASK_ERROR' | 'TASK_LOST' | 'TASK_DROPPED'
  | 'TASK_UNREACHABLE' | 'TASK_GONE' | 'TASK_GONE_BY_OPERATOR' | 'TASK_UNKNOWN' | string;

export interface Task {
  id: string;
  name: string;
  frameworkId: string;
  agentId: string;
  state: TaskState;
  /** Host ports from resources.ports ranges, expanded, in document order. */
  ports: number[];
  /**
   * taskHash(id) (records/task-hash.ts), when the reader had it at hand: the native state reader
   * computes it with the id (a SHA-1 per task is a large part of a build otherwise).
   */
  idHash?: string;
  discovery?: Discovery;
  /** The newest TASK_RUNNING status (largest timestamp, first on a tie), if any. */
  running?: RunningStatus;
  /** What decides the task's address beyond its statuses (mesos/task-addressing.ts); absent when nothing does. */
  addressing?: TaskAddressing;
}

/**
 * The task's own say in its address, and its Minuteman VIPs (docs/addresses.md). Read leniently:
 * a field of the wrong type counts as absent and never makes the task malformed.
 */
export interface TaskAddressing {
  /** The value of the task label MESOS_DNS_IP_SOURCES (e.g. `netinfo,host`), as given. */
  ipSources?: string;
  /**
   * The task reaches the outside through host ports of its own: Docker `port_mappings`, a
   * `container.network_infos[].port_mappings` entry, a DiscoveryInfo port labelled
   * `network-scope=host`, or a `VIP_PORT<n>` task label (dcos-net's `host_port`). AddressPolicy
   * "auto" then gives the agent's address. A pod task's are in its status instead
   * (RunningStatus.portMapped): read both through publishesHostPorts.
   */
  hostPorts: boolean;
  /**
   * The task's container lists its own port mappings (a DOCKER container, or one with a
   * `network_infos` list), so its statuses' port mappings are not read; absent when it does not,
   * and then RunningStatus.portMapped counts as host ports too (dcos-net
   * handle_task_port_mappings; task-addressing.ts publishesHostPorts).
   */
  ownPortMappings?: true;
  /**
   * Minuteman VIP labels, in document order; absent when there are none. A VIP on a container port
   * the container's own port mappings map is already on the host port here; one that a pod's
   * status maps is moved by task-addressing.ts taskVips, which is how they are read.
   */
  vips?: readonly TaskVip[];
}

/** One VIP label: `VIP_n` on a DiscoveryInfo port, or `VIP_PORT<n>` = `tcp://name:port` on the task. */
export interface TaskVip {
  /** The label's value, e.g. `/web:80`, `10.0.0.5:80` (a VIP_PORT label's `tcp://` taken off). */
  vip: string;
  /** `tcp` or `udp`, lower-case. */
  protocol: string;
  /**
   * The backend's port: the discovery port's number, the task's n-th host port, or the host port a
   * port mapping maps the discovery port's container port to (task-addressing.ts mapVips).
   */
  port: number;
  /** The port is a host port (network-scope=host, VIP_PORT labels, a mapped container port), not a container port. */
  hostPort: boolean;
}

export interface Framework {
  id: string;
  name: string;
  pid?: Pid;
  hostname: string;
  tasks: Task[];
}

export interface MasterState {
  /** The state's `leader` pid; mesos-dns refuses a state without one. */
  leader: Pid;
  agents: Agent[];
  frameworks: Framework[];
  /** Elements of the document left out as malformed (docs/architecture.md); absent when none were. */
  skipped?: SkippedElement[];
  /**
   * Set on the event stream's snapshots (live-state.ts): where this state stands in the stream's
   * log of task changes, so the incremental table reads what changed instead of comparing task lists.
   */
  changes?: { readonly log: TaskChangeLog; readonly at: number };
}

/** A malformed agent, framework or task that a reader left out while the rest of its document applied. */
export interface SkippedElement {
  kind: 'agent' | 'framework' | 'task';
  /** Where it is in the document, e.g. `state.frameworks[3].tasks[17]`. */
  path: string;
  /** Its id, when that one is readable. */
  id?: string;
  /** What is wrong with it, relative to `path` (`.statuses: expected an array`). */
  reason: string;
}

/** A task put into or taken out of a framework's list by the event stream. */
export interface TaskChange {
  frameworkId: string;
  id: string;
  /** The task now; undefined when it was removed. */
  task: Task | undefined;
  /** It went to the end of its framework's list (it was not in it before); false: replaced in place or removed. */
  appended: boolean;
}

/** The stream's task changes in order; `items[k]` is change number `start + k`. */
export interface TaskChangeLog {
  readonly start: number;
  readonly items: readonly TaskChange[];
}
