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
  /** container_status.network_infos[].ip_addresses[].ip_address (or the 0.25 single ip_address). */
  networkIPs: readonly string[];
  /** Values of label MesosContainerizer.NetworkSettings.IPAddress. */
  mesosLabelIPs: readonly string[];
  /** Values of label Docker.NetworkSettings.IPAddress. */
  dockerLabelIPs: readonly string[];
  /** TaskStatus.healthy when the task has a health check; undefined otherwise. */
  healthy?: boolean;
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
