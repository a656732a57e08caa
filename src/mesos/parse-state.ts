// /master/state JSON -> MasterState (mesos-dns §5.2). Pure: no I/O, no clock, no logger.
// Only the fields DNS needs are read. A field that is present with the wrong JSON type fails the
// whole document, as Go's encoding/json does in mesos-dns, so the caller keeps the last table;
// `null` counts as absent except for a pid, which mesos-dns rejects.
import { StateParseError } from '../errors.js';
import { parsePid } from './pid.js';
import type { Agent, Discovery, DiscoveryPort, Framework, MasterState, Pid, RunningStatus, Task } from './state.js';

type JsonObject = Record<string, unknown>;

/** Status label keys read by the `mesos` and `docker` IP sources (mesos-dns state.go). */
export const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress';
export const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress';

/** JSON text -> MasterState; a JSON syntax error becomes a StateParseError. */
export function parseStateText(text: string): MasterState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new StateParseError(`state: not JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseState(json);
}

export function parseState(json: unknown): MasterState {
  const state = asObject(json, 'state');
  const leaderText = optString(state, 'leader', 'state');
  // mesos-dns: `if sj.Leader == "" { errors.New("empty master") }`.
  if (!leaderText) throw new StateParseError('state.leader: missing or empty (the master does not know a leader)');
  return {
    leader: pidAt(leaderText, 'state.leader'),
    agents: optArray(state, 'slaves', 'state').map((a, i) => parseAgent(a, `state.slaves[${i}]`)),
    frameworks: optArray(state, 'frameworks', 'state').map((f, i) => parseFramework(f, `state.frameworks[${i}]`)),
  };
}

export function parseAgent(json: unknown, path = 'agent'): Agent {
  const o = asObject(json, path);
  const agent: Agent = { id: optString(o, 'id', path) ?? '', hostname: optString(o, 'hostname', path) ?? '' };
  const pid = optPid(o, path);
  if (pid) agent.pid = pid;
  return agent;
}

/** Tasks get the framework's id as frameworkId: in /master/state the nesting is what counts. */
export function parseFramework(json: unknown, path = 'framework'): Framework {
  const o = asObject(json, path);
  const id = optString(o, 'id', path) ?? '';
  const framework: Framework = {
    id,
    name: optString(o, 'name', path) ?? '',
    hostname: optString(o, 'hostname', path) ?? '',
    tasks: optArray(o, 'tasks', path).map((t, i) => {
      const task = parseTask(t, `${path}.tasks[${i}]`);
      task.frameworkId = id;
      return task;
    }),
  };
  const pid = optPid(o, path);
  if (pid) framework.pid = pid;
  return framework;
}

export function parseTask(json: unknown, path = 'task'): Task {
  const o = asObject(json, path);
  const task: Task = {
    id: optString(o, 'id', path) ?? '',
    name: optString(o, 'name', path) ?? '',
    frameworkId: optString(o, 'framework_id', path) ?? '',
    agentId: optString(o, 'slave_id', path) ?? '',
    state: optString(o, 'state', path) ?? '',
    ports: [],
  };
  const resources = optObject(o, 'resources', path);
  if (resources) {
    const ranges = optString(resources, 'ports', `${path}.resources`);
    if (ranges !== undefined) task.ports = parsePortRanges(ranges);
  }
  const running = parseRunningStatus(optArray(o, 'statuses', path), `${path}.statuses`);
  if (running) task.running = running;
  const discovery = parseDiscovery(o, path);
  if (discovery) task.discovery = discovery;
  return task;
}

/**
 * `"[31000-31001, 31005-31005]"` -> every port of every range, in document order. `""` and `"[]"`
 * give none. Anything malformed (no brackets, a range that is not `lo-hi`, lo > hi, a port above
 * 65535) also gives none: mesos-dns panics or skips there, and one odd task must not cost the
 * whole state.
 */
export function parsePortRanges(text: string): number[] {
  const s = text.trim();
  if (s === '' || s === '[]') return [];
  if (!s.startsWith('[') || !s.endsWith(']')) return [];
  const ports: number[] = [];
  for (const part of s.slice(1, -1).split(',')) {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(part.trim());
    if (!m) return [];
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    if (lo > hi || hi > 65535) return [];
    for (let p = lo; p <= hi; p++) ports.push(p);
  }
  return ports;
}

/**
 * The TASK_RUNNING status with the largest timestamp (the first one on a tie); the master gives
 * statuses in no guaranteed order (mesos-dns state.go statusIPs). Only that one status is read
 * further: an older status carrying a container IP is never consulted.
 */
function parseRunningStatus(statuses: unknown[], path: string): RunningStatus | undefined {
  let best: JsonObject | undefined;
  let bestPath = '';
  let bestTs = 0;
  statuses.forEach((raw, i) => {
    const p = `${path}[${i}]`;
    const s = asObject(raw, p);
    if (optString(s, 'state', p) !== 'TASK_RUNNING') return;
    const ts = optNumber(s, 'timestamp', p) ?? 0;
    if (best === undefined || ts > bestTs) {
      best = s;
      bestPath = p;
      bestTs = ts;
    }
  });
  if (best === undefined) return undefined;
  const status: RunningStatus = {
    timestamp: bestTs,
    networkIPs: networkIPs(best, bestPath),
    mesosLabelIPs: [],
    dockerLabelIPs: [],
  };
  optArray(best, 'labels', bestPath).forEach((raw, i) => {
    const p = `${bestPath}.labels[${i}]`;
    const label = asObject(raw, p);
    const key = optString(label, 'key', p);
    const value = optString(label, 'value', p) ?? '';
    if (key === MESOS_IP_LABEL) status.mesosLabelIPs.push(value);
    else if (key === DOCKER_IP_LABEL) status.dockerLabelIPs.push(value);
  });
  const healthy = optBoolean(best, 'healthy', bestPath);
  if (healthy !== undefined) status.healthy = healthy;
  return status;
}

/** container_status.network_infos[].ip_addresses[].ip_address, or per network_info the 0.25 `ip_address`. */
function networkIPs(status: JsonObject, path: string): string[] {
  const ips: string[] = [];
  const container = optObject(status, 'container_status', path);
  if (!container) return ips;
  const cpath = `${path}.container_status`;
  optArray(container, 'network_infos', cpath).forEach((raw, i) => {
    const p = `${cpath}.network_infos[${i}]`;
    const info = asObject(raw, p);
    const addresses = optArray(info, 'ip_addresses', p);
    if (addresses.length > 0) {
      addresses.forEach((a, j) => {
        const ip = optString(asObject(a, `${p}.ip_addresses[${j}]`), 'ip_address', `${p}.ip_addresses[${j}]`);
        if (ip) ips.push(ip);
      });
    } else {
      const ip = optString(info, 'ip_address', p);
      if (ip) ips.push(ip);
    }
  });
  return ips;
}

/** DiscoveryInfo; mesos-dns ignores it entirely unless it has a non-empty name (HasDiscoveryInfo). */
function parseDiscovery(task: JsonObject, path: string): Discovery | undefined {
  const o = optObject(task, 'discovery', path);
  if (!o) return undefined;
  const dpath = `${path}.discovery`;
  const name = optString(o, 'name', dpath) ?? '';
  if (name === '') return undefined;
  const ports: DiscoveryPort[] = [];
  const container = optObject(o, 'ports', dpath);
  if (container) {
    optArray(container, 'ports', `${dpath}.ports`).forEach((raw, i) => {
      const p = `${dpath}.ports.ports[${i}]`;
      const port = asObject(raw, p);
      const number = optNumber(port, 'number', p) ?? 0;
      if (!Number.isInteger(number)) throw new StateParseError(`${p}.number: expected an integer`);
      // Out of SRV range (RFC 2782: 16 bits): such a port cannot be published, so it is left out.
      if (number < 0 || number > 65535) return;
      ports.push({ number, protocol: optString(port, 'protocol', p) ?? '', name: optString(port, 'name', p) ?? '' });
    });
  }
  return { name, ports };
}

// --- typed field access with a path in every error -------------------------------------------

function asObject(v: unknown, path: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new StateParseError(`${path}: expected an object`);
  }
  return v as JsonObject;
}

function optString(o: JsonObject, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new StateParseError(`${path}.${key}: expected a string`);
  return v;
}

function optNumber(o: JsonObject, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw new StateParseError(`${path}.${key}: expected a number`);
  return v;
}

function optBoolean(o: JsonObject, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new StateParseError(`${path}.${key}: expected a boolean`);
  return v;
}

function optObject(o: JsonObject, key: string, path: string): JsonObject | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  return asObject(v, `${path}.${key}`);
}

function optArray(o: JsonObject, key: string, path: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new StateParseError(`${path}.${key}: expected an array`);
  return v;
}

/** A missing pid is fine; a null or malformed one fails the state, as in mesos-dns (§5.2). */
function optPid(o: JsonObject, path: string): Pid | undefined {
  if (!('pid' in o) || o.pid === undefined) return undefined;
  const v = o.pid;
  if (typeof v !== 'string') throw new StateParseError(`${path}.pid: expected a pid string, got ${v === null ? 'null' : typeof v}`);
  return pidAt(v, `${path}.pid`);
}

function pidAt(text: string, path: string): Pid {
  try {
    return parsePid(text);
  } catch (err) {
    throw new StateParseError(`${path}: ${(err as Error).message}`, { cause: err });
  }
}
