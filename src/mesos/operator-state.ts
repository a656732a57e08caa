// Converters from the Operator API v1 JSON (master.proto / mesos.proto, snake_case) to the internal
// MasterState types. The v1 shapes differ from the legacy /master/state document (parse-state.ts):
// ids are wrapped (`task_id{value}`), ports are `resources[]` entries with `ranges.range[{begin,end}]`,
// labels are `{labels:[…]}`, frameworks carry no pid, and agents keep their pid next to `agent_info`.
// PURE: no I/O, no clock. A malformed agent, framework or task of a GET_STATE snapshot is left out
// and listed (StreamState.skipped), as the legacy parser does; a snapshot whose own shape is wrong
// throws StateParseError, so the caller keeps its last good state. The converters of single
// elements (used for events too) throw StateParseError.
import { StateParseError } from '../errors.js';
import type { Agent, Discovery, DiscoveryPort, Framework, MasterState, Pid, RunningStatus, SkippedElement, Task, TaskState } from './state.js';
import { parsePid } from './pid.js';
import { DOCKER_IP_LABEL, MESOS_IP_LABEL } from './parse-task.js';
import { networkNamesOf, statusPortMapped, statusPortMappings, taskAddressing } from './task-addressing.js';

/** MasterState plus the tasks whose framework is not known yet (dcos-net's "waiting_tasks"): the
 * stream may announce a task before its framework, so such tasks wait here and are attached when
 * FRAMEWORK_ADDED arrives. */
export interface StreamState {
  master: MasterState;
  waitingTasks: Task[];
  /** Elements of the snapshot left out as malformed (none for states built from events). */
  skipped?: SkippedElement[];
}

/** Task states after which a task never runs again. LOST and GONE_BY_OPERATOR are included as
 * dcos-net does: nothing would bring such a task back to RUNNING under the same launch. Dropping
 * them keeps the state's memory bounded over a long-lived stream. */
const TERMINAL_STATES: ReadonlySet<string> = new Set([
  'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_DROPPED',
  'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_LOST',
]);

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_STATES.has(state);
}

type Json = Record<string, unknown>;

/**
 * GET_STATE (the `get_state` of a SUBSCRIBED event or of a GET_STATE response) → StreamState.
 * The leader is not part of get_state: it is the master the caller talked to.
 * `get_tasks.tasks` holds staging, running and not-yet-acknowledged terminal tasks; terminal ones
 * are dropped here. completed_tasks, unreachable_tasks, pending_tasks and completed_frameworks never
 * produce records (as in mesos-dns) and are ignored.
 */
export function streamStateFromGetState(getState: unknown, leader: Pid): StreamState {
  const gs = object(getState, 'get_state');
  const getAgents = optionalObject(gs.get_agents, 'get_state.get_agents');
  const getFrameworks = optionalObject(gs.get_frameworks, 'get_state.get_frameworks');
  const getTasks = optionalObject(gs.get_tasks, 'get_state.get_tasks');

  const skipped: SkippedElement[] = [];
  const agents = elements(getAgents?.agents, 'get_state.get_agents.agents', 'agent', fromAgent, skipped);
  const frameworkInfos = elements(getFrameworks?.frameworks, 'get_state.get_frameworks.frameworks', 'framework', fromFramework, skipped);
  const tasks = elements(getTasks?.tasks, 'get_state.get_tasks.tasks', 'task', fromTask, skipped);
  return assembleStreamState(leader, agents, frameworkInfos, tasks, skipped);
}

/**
 * The converted elements of a GET_STATE, in document order, as a StreamState: agents and
 * frameworks de-duplicated by id, terminal tasks dropped, the others grouped under their
 * framework or waiting for it. Shared by the JavaScript path above and the native reader's
 * (read-subscribed.ts), so both group alike. Takes ownership of the arrays it is given.
 * `distinctTaskIds`: the caller knows no two tasks share an id (the native reader checks), so no
 * (framework, task) pair can repeat and the tasks are grouped without a map of their ids.
 */
export function assembleStreamState(leader: Pid, agentList: Agent[], frameworkList: Framework[], taskList: Task[], skipped: SkippedElement[], distinctTaskIds = false): StreamState {
  const agents = dedupeById(agentList);
  const frameworkInfos = dedupeById(frameworkList);
  // A task of a framework left out waits for it like any task of an unknown framework: no records.
  const tasks = taskList.filter((t) => !isTerminal(t.state));

  const byFramework = new Map<string, Task[]>();
  for (const fw of frameworkInfos) byFramework.set(fw.id, []);
  const waitingTasks: Task[] = [];
  // Tasks are keyed by (framework id, task id): a duplicate replaces the earlier entry in place
  // (first position, last value). A framework's tasks always go to the same list (its own, or the
  // waiting list), so a position per (framework, task) locates the earlier entry in O(1); a search
  // of the list per task made a 100,000-task snapshot take minutes (issue 17).
  const positions = new Map<string, Map<string, number>>();
  if (distinctTaskIds) for (const task of tasks) (byFramework.get(task.frameworkId) ?? waitingTasks).push(task);
  else for (const task of tasks) {
    const list = byFramework.get(task.frameworkId) ?? waitingTasks;
    let ids = positions.get(task.frameworkId);
    if (ids === undefined) positions.set(task.frameworkId, (ids = new Map()));
    const at = ids.get(task.id);
    if (at !== undefined) list[at] = task;
    else {
      ids.set(task.id, list.length);
      list.push(task);
    }
  }
  const frameworks = frameworkInfos.map((fw) => ({ ...fw, tasks: byFramework.get(fw.id) ?? [] }));
  return skipped.length > 0 ? { master: { leader, agents, frameworks }, waitingTasks, skipped } : { master: { leader, agents, frameworks }, waitingTasks };
}

/** The list at `raw` (at `path`), each element converted; malformed ones go to `skipped`. */
function elements<T>(raw: unknown, path: string, kind: SkippedElement['kind'], convert: (v: unknown) => T, skipped: SkippedElement[]): T[] {
  const list = array(raw, path);
  const out: T[] = [];
  for (let i = 0; i < list.length; i++) {
    try {
      out.push(convert(list[i]));
    } catch (err) {
      skipped.push(skippedV1(kind, `${path}[${i}]`, list[i], err));
    }
  }
  return out;
}

/** Where a v1 element keeps its id: `task_id`, `agent_info.id`, `framework_info.id` (each `{value}`). */
const ID_PATHS: Record<SkippedElement['kind'], readonly string[]> = {
  task: ['task_id'],
  agent: ['agent_info', 'id'],
  framework: ['framework_info', 'id'],
};

/** The skip entry for the v1 element `json` that failed with `err` (anything but a StateParseError is rethrown). */
export function skippedV1(kind: SkippedElement['kind'], path: string, json: unknown, err: unknown, idPath: readonly string[] = ID_PATHS[kind]): SkippedElement {
  if (!(err instanceof StateParseError)) throw err;
  const element: SkippedElement = { kind, path, reason: err.message };
  let v = json;
  for (const key of [...idPath, 'value']) v = typeof v === 'object' && v !== null ? (v as Json)[key] : undefined;
  if (typeof v === 'string') element.id = v;
  return element;
}

/** GET_STATE → MasterState; tasks of frameworks missing from get_frameworks are left out. */
export function fromGetState(getState: unknown, leader: Pid): MasterState {
  return streamStateFromGetState(getState, leader).master;
}

/** Ids of the agents a freshly failed-over master knows from its registry but that have not
 * re-registered yet (`get_agents.recovered_agents[]`, AgentInfo). Their tasks are missing from the
 * snapshot until they come back. */
export function recoveredAgentIds(getState: unknown): string[] {
  const gs = object(getState, 'get_state');
  const getAgents = optionalObject(gs.get_agents, 'get_state.get_agents');
  // A malformed entry names no agent to wait for: it is passed over, as a malformed agent is.
  return elements(getAgents?.recovered_agents, 'get_state.get_agents.recovered_agents', 'agent', (info) => idValue(object(info, 'agent_info').id, 'agent_info.id'), []);
}

/** v1 `Task` → Task. */
export function fromTask(v1Task: unknown): Task {
  const t = object(v1Task, 'task');
  const task: Task = {
    id: idValue(t.task_id, 'task.task_id'),
    name: optionalString(t.name, 'task.name') ?? '',
    frameworkId: idValue(t.framework_id, 'task.framework_id'),
    agentId: idValue(t.agent_id, 'task.agent_id'),
    state: requiredString(t.state, 'task.state'),
    ports: portsFromResources(t.resources),
  };
  if (t.discovery !== undefined && t.discovery !== null) task.discovery = discoveryFrom(t.discovery);
  const running = latestRunning(array(t.statuses, 'task.statuses'));
  if (running) task.running = running;
  const addressing = taskAddressing(t.labels, t.container, t.discovery, task.ports);
  if (addressing) task.addressing = addressing;
  return task;
}

/** v1 `GetAgents.Agent` (also the `agent` of AGENT_ADDED) → Agent. The pid sits next to
 * agent_info, not inside it. */
export function fromAgent(v1Agent: unknown): Agent {
  const a = object(v1Agent, 'agent');
  const info = object(a.agent_info, 'agent.agent_info');
  const agent: Agent = {
    id: idValue(info.id, 'agent_info.id'),
    hostname: optionalString(info.hostname, 'agent_info.hostname') ?? '',
  };
  // A present but malformed pid makes the agent malformed; a missing one is fine.
  const pid = optionalString(a.pid, 'agent.pid');
  if (pid !== undefined && pid !== '') {
    try {
      agent.pid = parsePid(pid);
    } catch (err) {
      throw new StateParseError(`agent.pid: ${(err as Error).message}`, { cause: err });
    }
  }
  return agent;
}

/** v1 `GetFrameworks.Framework` (also the `framework` of FRAMEWORK_ADDED/UPDATED) → Framework
 * without tasks. v1 framework entries carry no scheduler pid, so the framework's A record comes
 * from `framework_info.hostname` and there is no `_framework._tcp` SRV (as in mesos-dns). */
export function fromFramework(v1Framework: unknown): Framework {
  const f = object(v1Framework, 'framework');
  const info = object(f.framework_info, 'framework.framework_info');
  return frameworkFromInfo(info);
}

/** v1 `FrameworkInfo` → Framework without tasks. */
export function frameworkFromInfo(info: Json): Framework {
  return {
    id: idValue(info.id, 'framework_info.id'),
    name: optionalString(info.name, 'framework_info.name') ?? '',
    hostname: optionalString(info.hostname, 'framework_info.hostname') ?? '',
    tasks: [],
  };
}

/** The IP-source view of one v1 `TaskStatus` (docs/naming.md). The caller checks it is RUNNING. */
export function runningFromStatus(v1Status: unknown): RunningStatus {
  const s = object(v1Status, 'status');
  const timestamp = s.timestamp === undefined ? 0 : number(s.timestamp, 'status.timestamp');
  const labels = labelsOf(s.labels, 'status.labels');
  const network = networkIPs(s.container_status);
  const running: RunningStatus = {
    timestamp,
    networkIPs: network.ips,
    mesosLabelIPs: labels.filter((l) => l.key === MESOS_IP_LABEL).map((l) => l.value),
    dockerLabelIPs: labels.filter((l) => l.key === DOCKER_IP_LABEL).map((l) => l.value),
  };
  if (typeof s.healthy === 'boolean') running.healthy = s.healthy;
  const names = networkNamesOf(network.names);
  if (names !== undefined) running.networkNames = names;
  if (statusPortMapped(s.container_status)) running.portMapped = true;
  const mappings = statusPortMappings(s.container_status);
  if (mappings !== undefined) running.portMappings = mappings;
  return running;
}

/** The TASK_RUNNING status with the largest timestamp, the first one on a tie: the order of
 * `statuses` is not guaranteed (mesos-dns state.go). Its network IPs are those of the newest
 * RUNNING status that has any (keepNetwork), as parse-task.ts reads /master/state. */
function latestRunning(statuses: unknown[]): RunningStatus | undefined {
  let best: RunningStatus | undefined;
  let withIPs: RunningStatus | undefined;
  statuses.forEach((raw, i) => {
    const s = object(raw, `task.statuses[${i}]`);
    if (s.state !== 'TASK_RUNNING') return;
    const candidate = runningFromStatus(s);
    if (!best || candidate.timestamp > best.timestamp) best = candidate;
    if (candidate.networkIPs.length > 0 && (!withIPs || candidate.timestamp > withIPs.timestamp)) withIPs = candidate;
  });
  return best && withIPs ? keepNetwork(best, withIPs) : best;
}

/**
 * `next` (a newer RUNNING status) with the network IPs of `previous` when it has none of its own:
 * a health-check update carries no network_infos and must not take the container address away
 * (mesos-dns #417; docs/addresses.md). The port mappings go with the addresses.
 */
export function keepNetwork(next: RunningStatus, previous: RunningStatus): RunningStatus {
  if (next.networkIPs.length > 0 || previous.networkIPs.length === 0) return next;
  const kept: RunningStatus = { ...next, networkIPs: previous.networkIPs };
  if (previous.networkNames !== undefined) kept.networkNames = previous.networkNames;
  if (previous.portMapped) kept.portMapped = true;
  else delete kept.portMapped;
  if (previous.portMappings !== undefined) kept.portMappings = previous.portMappings;
  else delete kept.portMappings;
  return kept;
}

/** IPs with their network's `name` ("" when absent or not a string), as parse-task.ts reads them. */
function networkIPs(containerStatus: unknown): { ips: string[]; names: string[] } {
  const cs = optionalObject(containerStatus, 'status.container_status');
  const ips: string[] = [];
  const names: string[] = [];
  for (const raw of array(cs?.network_infos, 'container_status.network_infos')) {
    const ni = object(raw, 'network_info');
    const name = typeof ni.name === 'string' ? ni.name : '';
    const addresses = array(ni.ip_addresses, 'network_info.ip_addresses');
    if (addresses.length > 0) {
      for (const a of addresses) {
        const ip = optionalString(object(a, 'ip_address').ip_address, 'ip_addresses[].ip_address');
        if (ip) ips.push(ip), names.push(name);
      }
    } else {
      // Mesos 0.25 carried a single `ip_address` per network_info.
      const ip = optionalString(ni.ip_address, 'network_info.ip_address');
      if (ip) ips.push(ip), names.push(name);
    }
  }
  return { ips, names };
}

/** v1 Labels are `{labels:[{key,value}]}`; the legacy JSON used a bare array. Accept both. */
function labelsOf(raw: unknown, what: string): { key: string; value: string }[] {
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : array(object(raw, what).labels, `${what}.labels`);
  return list.map((l, i) => {
    const o = object(l, `${what}[${i}]`);
    return { key: optionalString(o.key, `${what}[].key`) ?? '', value: optionalString(o.value, `${what}[].value`) ?? '' };
  });
}

/** Host ports from `resources[]` entries named "ports" (type RANGES), each range expanded, in
 * document order (the legacy parser expands "[a-b, c-d]" the same way). */
function portsFromResources(raw: unknown): number[] {
  const ports: number[] = [];
  for (const r of array(raw, 'task.resources')) {
    const res = object(r, 'resource');
    if (res.name !== 'ports') continue;
    const ranges = optionalObject(res.ranges, 'resource.ranges');
    for (const rr of array(ranges?.range, 'resource.ranges.range')) {
      const range = object(rr, 'range');
      const begin = port(range.begin, 'range.begin');
      const end = port(range.end, 'range.end');
      if (begin > end) throw new StateParseError(`ports range ${begin}-${end} is reversed`);
      for (let p = begin; p <= end; p++) ports.push(p);
    }
  }
  return ports;
}

function discoveryFrom(raw: unknown): Discovery {
  const d = object(raw, 'task.discovery');
  const portsObj = optionalObject(d.ports, 'discovery.ports');
  const ports: DiscoveryPort[] = array(portsObj?.ports, 'discovery.ports.ports').map((p, i) => {
    const o = object(p, `discovery.ports.ports[${i}]`);
    return {
      number: port(o.number, 'discovery port number'),
      protocol: optionalString(o.protocol, 'discovery port protocol') ?? '',
      name: optionalString(o.name, 'discovery port name') ?? '',
    };
  });
  return { name: optionalString(d.name, 'discovery.name') ?? '', ports };
}

function dedupeById<T extends { id: string }>(items: T[]): T[] {
  const byId = new Map<string, T>();
  for (const item of items) byId.set(item.id, item);
  return [...byId.values()];
}

// --- JSON shape checks. Each names the field it rejects so a log line points at the problem. ---

export function object(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new StateParseError(`${what}: expected an object`);
  return v as Json;
}

function optionalObject(v: unknown, what: string): Json | undefined {
  return v === undefined || v === null ? undefined : object(v, what);
}

function array(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new StateParseError(`${what}: expected an array`);
  return v;
}

function optionalString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new StateParseError(`${what}: expected a string`);
  return v;
}

function requiredString(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw new StateParseError(`${what}: expected a non-empty string`);
  return v;
}

/** `{value: "…"}`, the v1 wrapper around every id (TaskID, AgentID, FrameworkID). */
export function idValue(v: unknown, what: string): string {
  return requiredString(object(v, what).value, `${what}.value`);
}

/** Protobuf integers may be rendered as JSON numbers or, for 64-bit fields, as decimal strings. */
function number(v: unknown, what: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new StateParseError(`${what}: expected a number`);
  return n;
}

function port(v: unknown, what: string): number {
  const n = number(v, what);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new StateParseError(`${what}: ${String(v)} is not a port`);
  return n;
}
