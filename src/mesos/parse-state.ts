// /master/state JSON -> MasterState, keeping what mesos-dns reads. Pure: no I/O, no clock, no logger.
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
  const leader = pidAt(leaderText, 'state.leader');
  const slaves = optArray(state, 'slaves', 'state');
  const agents: Agent[] = new Array(slaves.length);
  for (let i = 0; i < slaves.length; i++) {
    try {
      agents[i] = agentAt(slaves[i]);
    } catch (err) {
      throw within(err, `state.slaves[${i}]`);
    }
  }
  const list = optArray(state, 'frameworks', 'state');
  const frameworks: Framework[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    try {
      frameworks[i] = frameworkAt(list[i]);
    } catch (err) {
      throw within(err, `state.frameworks[${i}]`);
    }
  }
  return { leader, agents, frameworks };
}

export function parseAgent(json: unknown, path = 'agent'): Agent {
  try {
    return agentAt(json);
  } catch (err) {
    throw within(err, path);
  }
}

/** Tasks get the framework's id as frameworkId: in /master/state the nesting is what counts. */
export function parseFramework(json: unknown, path = 'framework'): Framework {
  try {
    return frameworkAt(json);
  } catch (err) {
    throw within(err, path);
  }
}

export function parseTask(json: unknown, path = 'task'): Task {
  try {
    return taskAt(json);
  } catch (err) {
    throw within(err, path);
  }
}

// The *At functions below name the fields they fail on relative to the value they were given
// (`.name: expected a string`, `: expected an object`); the callers put the path in front while
// the error travels up (`within`). A 100,000-task state has half a million values with a path,
// and building each path as a string up front, in case it is needed, was a large part of parsing.

function agentAt(json: unknown): Agent {
  const o = asObject(json, '');
  const agent: Agent = { id: optString(o, 'id', '') ?? '', hostname: optString(o, 'hostname', '') ?? '' };
  const pid = optPid(o, '');
  if (pid) agent.pid = pid;
  return agent;
}

function frameworkAt(json: unknown): Framework {
  const o = asObject(json, '');
  const id = optString(o, 'id', '') ?? '';
  const name = optString(o, 'name', '') ?? '';
  const hostname = optString(o, 'hostname', '') ?? '';
  const list = optArray(o, 'tasks', '');
  const tasks: Task[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    let task: Task;
    try {
      task = taskAt(list[i]);
    } catch (err) {
      throw within(err, `.tasks[${i}]`);
    }
    task.frameworkId = id;
    tasks[i] = task;
  }
  const framework: Framework = { id, name, hostname, tasks };
  const pid = optPid(o, '');
  if (pid) framework.pid = pid;
  return framework;
}

function taskAt(json: unknown): Task {
  const o = asObject(json, '');
  const id = optString(o, 'id', '') ?? '';
  const name = optString(o, 'name', '') ?? '';
  const frameworkId = optString(o, 'framework_id', '') ?? '';
  const agentId = optString(o, 'slave_id', '') ?? '';
  const state = optString(o, 'state', '') ?? '';
  const resources = optObject(o, 'resources', '');
  const ranges = resources ? optString(resources, 'ports', '.resources') : undefined;
  const task: Task = { id, name, frameworkId, agentId, state, ports: ranges === undefined ? [] : parsePortRanges(ranges) };
  const running = parseRunningStatus(optArray(o, 'statuses', ''));
  if (running) task.running = running;
  const discovery = parseDiscovery(o);
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
  // Nearly every value is made of brackets, digits, dashes, commas and spaces: read those in
  // one pass; anything else (other whitespace to trim, stray characters) takes the general way.
  const plain = plainPortRanges(text);
  if (plain !== undefined) return plain;
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

const SPACE = 0x20;
const COMMA = 0x2c;
const DASH = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * parsePortRanges for `[lo-hi, lo-hi]` written with single spaces at most around the parts, or
 * undefined when the text has anything else (the general parser decides then). Same result as
 * the general parser for every text it accepts.
 */
function plainPortRanges(s: string): number[] | undefined {
  const n = s.length;
  if (n < 2 || s.charCodeAt(0) !== 0x5b || s.charCodeAt(n - 1) !== 0x5d) return undefined; // [ ]
  const ports: number[] = [];
  let i = 1;
  const end = n - 1;
  if (i === end) return ports;
  for (;;) {
    while (i < end && s.charCodeAt(i) === SPACE) i++;
    let lo = 0;
    let digits = 0;
    for (let c = s.charCodeAt(i); i < end && c >= DIGIT_0 && c <= DIGIT_9; c = s.charCodeAt(++i)) {
      lo = lo * 10 + (c - DIGIT_0);
      digits++;
    }
    if (digits === 0 || digits > 5) return plainOrMalformed(s, i, end);
    if (i >= end || s.charCodeAt(i) !== DASH) return plainOrMalformed(s, i, end);
    i++;
    let hi = 0;
    digits = 0;
    for (let c = s.charCodeAt(i); i < end && c >= DIGIT_0 && c <= DIGIT_9; c = s.charCodeAt(++i)) {
      hi = hi * 10 + (c - DIGIT_0);
      digits++;
    }
    if (digits === 0 || digits > 5) return plainOrMalformed(s, i, end);
    while (i < end && s.charCodeAt(i) === SPACE) i++;
    if (i < end && s.charCodeAt(i) !== COMMA) return plainOrMalformed(s, i, end);
    if (lo > hi || hi > 65535) return [];
    for (let p = lo; p <= hi; p++) ports.push(p);
    if (i === end) return ports;
    i++; // the comma
  }
}

/**
 * The plain reader stopped at s[i]: if that is one of its own characters the text is malformed
 * (no ports), otherwise the general parser must look at it (other whitespace may be trimmed).
 */
function plainOrMalformed(s: string, i: number, end: number): number[] | undefined {
  for (let k = i; k < end; k++) {
    const c = s.charCodeAt(k);
    if (!(c === SPACE || c === COMMA || c === DASH || (c >= DIGIT_0 && c <= DIGIT_9))) return undefined;
  }
  return [];
}

/**
 * The TASK_RUNNING status with the largest timestamp (the first one on a tie); the master gives
 * statuses in no guaranteed order (mesos-dns state.go statusIPs). Only that one status is read
 * further: an older status carrying a container IP is never consulted.
 */
function parseRunningStatus(statuses: unknown[]): RunningStatus | undefined {
  let best: JsonObject | undefined;
  let bestIndex = 0;
  let bestTs = 0;
  for (let i = 0; i < statuses.length; i++) {
    let s: JsonObject;
    let ts: number;
    try {
      s = asObject(statuses[i], '');
      if (optString(s, 'state', '') !== 'TASK_RUNNING') continue;
      ts = optNumber(s, 'timestamp', '') ?? 0;
    } catch (err) {
      throw within(err, `.statuses[${i}]`);
    }
    if (best === undefined || ts > bestTs) {
      best = s;
      bestIndex = i;
      bestTs = ts;
    }
  }
  if (best === undefined) return undefined;
  try {
    return runningStatusAt(best, bestTs);
  } catch (err) {
    throw within(err, `.statuses[${bestIndex}]`);
  }
}

function runningStatusAt(best: JsonObject, timestamp: number): RunningStatus {
  const network = networkIPs(best);
  let mesos: string[] | undefined;
  let docker: string[] | undefined;
  const labels = optArray(best, 'labels', '');
  for (let i = 0; i < labels.length; i++) {
    let key: string | undefined;
    let value: string;
    try {
      const label = asObject(labels[i], '');
      key = optString(label, 'key', '');
      value = optString(label, 'value', '') ?? '';
    } catch (err) {
      throw within(err, `.labels[${i}]`);
    }
    if (key === MESOS_IP_LABEL) (mesos ??= []).push(value);
    else if (key === DOCKER_IP_LABEL) (docker ??= []).push(value);
  }
  const status: RunningStatus = { timestamp, networkIPs: network, mesosLabelIPs: mesos ?? NO_STRINGS, dockerLabelIPs: docker ?? NO_STRINGS };
  const healthy = optBoolean(best, 'healthy', '');
  if (healthy !== undefined) status.healthy = healthy;
  return status;
}

/** Shared by every status without such IPs (most of them): one array, not three per task. */
export const NO_STRINGS: readonly string[] = Object.freeze([]);

/** container_status.network_infos[].ip_addresses[].ip_address, or per network_info the 0.25 `ip_address`. */
function networkIPs(status: JsonObject): readonly string[] {
  const container = optObject(status, 'container_status', '');
  if (!container) return NO_STRINGS;
  const ips: string[] = [];
  const infos = optArray(container, 'network_infos', '.container_status');
  for (let i = 0; i < infos.length; i++) {
    try {
      const info = asObject(infos[i], '');
      const addresses = optArray(info, 'ip_addresses', '');
      if (addresses.length > 0) {
        for (let j = 0; j < addresses.length; j++) {
          let ip: string | undefined;
          try {
            ip = optString(asObject(addresses[j], ''), 'ip_address', '');
          } catch (err) {
            throw within(err, `.ip_addresses[${j}]`);
          }
          if (ip) ips.push(ip);
        }
      } else {
        const ip = optString(info, 'ip_address', '');
        if (ip) ips.push(ip);
      }
    } catch (err) {
      throw within(err, `.container_status.network_infos[${i}]`);
    }
  }
  return ips;
}

/** DiscoveryInfo; mesos-dns ignores it entirely unless it has a non-empty name (HasDiscoveryInfo). */
function parseDiscovery(task: JsonObject): Discovery | undefined {
  const o = optObject(task, 'discovery', '');
  if (!o) return undefined;
  try {
    return discoveryAt(o);
  } catch (err) {
    throw within(err, '.discovery');
  }
}

function discoveryAt(o: JsonObject): Discovery | undefined {
  const name = optString(o, 'name', '') ?? '';
  if (name === '') return undefined;
  const ports: DiscoveryPort[] = [];
  const container = optObject(o, 'ports', '');
  if (container) {
    const list = optArray(container, 'ports', '.ports');
    for (let i = 0; i < list.length; i++) {
      try {
        const port = asObject(list[i], '');
        const number = optNumber(port, 'number', '') ?? 0;
        if (!Number.isInteger(number)) throw new StateParseError('.number: expected an integer');
        // Out of SRV range (RFC 2782: 16 bits): such a port cannot be published, so it is left out.
        if (number < 0 || number > 65535) continue;
        ports.push({ number, protocol: optString(port, 'protocol', '') ?? '', name: optString(port, 'name', '') ?? '' });
      } catch (err) {
        throw within(err, `.ports.ports[${i}]`);
      }
    }
  }
  return { name, ports };
}

/** The same parse error with `prefix` put in front of its path; any other error as it is. */
function within(err: unknown, prefix: string): unknown {
  if (!(err instanceof StateParseError)) return err;
  return new StateParseError(prefix + err.message, err.cause === undefined ? undefined : { cause: err.cause });
}

// --- typed field access; `path` (often relative, see above) only goes into errors ---------------

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
  if (typeof v !== 'object' || Array.isArray(v)) throw new StateParseError(`${path}.${key}: expected an object`);
  return v as JsonObject;
}

function optArray(o: JsonObject, key: string, path: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new StateParseError(`${path}.${key}: expected an array`);
  return v;
}

/** A missing pid is fine; a null or malformed one fails the state, as in mesos-dns. */
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
