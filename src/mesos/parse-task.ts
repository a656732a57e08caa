// One /master/state task -> Task, reading what mesos-dns reads: ids, ports, the newest RUNNING
// status's IP sources, DiscoveryInfo. Pure. Errors name the field relative to the task (json-fields.ts).
import { StateParseError } from '../errors.js';
import { asObject, optArray, optBoolean, optNumber, optObject, optString, within, type JsonObject } from './json-fields.js';
import { parsePortRanges } from './port-ranges.js';
import type { Discovery, DiscoveryPort, PortMapping, RunningStatus, Task } from './state.js';
import { networkNamesOf, statusPortMapped, statusPortMappings, taskAddressing } from './task-addressing.js';

/** Status label keys read by the `mesos` and `docker` IP sources (mesos-dns state.go). */
export const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress';
export const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress';

export function parseTask(json: unknown, path = 'task'): Task {
  try {
    return taskAt(json);
  } catch (err) {
    throw within(err, path);
  }
}

/** The task at `json`; errors are relative to it (the caller adds the path). */
export function taskAt(json: unknown): Task {
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
  const addressing = taskAddressing(o.labels, o.container, o.discovery, task.ports);
  if (addressing) task.addressing = addressing;
  return task;
}

/**
 * The TASK_RUNNING status with the largest timestamp (the first one on a tie); the master gives
 * statuses in no guaranteed order (mesos-dns state.go statusIPs). Its labels, timestamp and
 * `healthy` are read; its network IPs too when it has any, else those of the newest RUNNING
 * status that has some (runningNetwork). Other statuses are not read.
 */
function parseRunningStatus(statuses: unknown[]): RunningStatus | undefined {
  let best: JsonObject | undefined;
  let bestIndex = 0;
  let bestTs = 0;
  let running = 0;
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
    running++;
    if (best === undefined || ts > bestTs) {
      best = s;
      bestIndex = i;
      bestTs = ts;
    }
  }
  if (best === undefined) return undefined;
  let status: RunningStatus;
  try {
    status = runningStatusAt(best, bestTs);
  } catch (err) {
    throw within(err, `.statuses[${bestIndex}]`);
  }
  if (status.networkIPs.length === 0 && running > 1) runningNetwork(statuses, bestIndex, status);
  return status;
}

/**
 * The network IPs of the newest other RUNNING status that has any (first on a tie) into `status`,
 * whose own status had none: a health-check update carries no network_infos and must not take
 * the container address away (mesos-dns #417; docs/addresses.md).
 */
function runningNetwork(statuses: unknown[], skip: number, status: RunningStatus): void {
  let bestTs = 0;
  let found: StatusNetwork | undefined;
  for (let i = 0; i < statuses.length; i++) {
    if (i === skip) continue;
    const s = statuses[i] as JsonObject;
    if (optString(s, 'state', '') !== 'TASK_RUNNING') continue;
    const ts = optNumber(s, 'timestamp', '') ?? 0;
    if (found !== undefined && !(ts > bestTs)) continue;
    let ips: StatusNetwork;
    try {
      ips = networkIPs(s);
    } catch (err) {
      throw within(err, `.statuses[${i}]`);
    }
    if (ips.ips.length === 0) continue;
    found = ips;
    bestTs = ts;
  }
  if (found === undefined) return;
  status.networkIPs = found.ips;
  const names = networkNamesOf(found.names);
  if (names !== undefined) status.networkNames = names;
  // The port mappings go with the addresses: the same status's (docs/addresses.md).
  if (found.portMapped) status.portMapped = true;
  else delete status.portMapped;
  if (found.mappings !== undefined) status.portMappings = found.mappings;
  else delete status.portMappings;
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
  const status: RunningStatus = { timestamp, networkIPs: network.ips, mesosLabelIPs: mesos ?? NO_STRINGS, dockerLabelIPs: docker ?? NO_STRINGS };
  const healthy = optBoolean(best, 'healthy', '');
  if (healthy !== undefined) status.healthy = healthy;
  const names = networkNamesOf(network.names);
  if (names !== undefined) status.networkNames = names;
  if (network.portMapped) status.portMapped = true;
  if (network.mappings !== undefined) status.portMappings = network.mappings;
  return status;
}

/** Shared by every status without such IPs (most of them): one array, not three per task. */
export const NO_STRINGS: readonly string[] = Object.freeze([]);

/** What a status's container_status gives: its IPs with their network names, and whether it maps host ports. */
interface StatusNetwork {
  ips: string[];
  names: string[];
  portMapped: boolean;
  /** Its usable port mappings (statusPortMappings). */
  mappings: readonly PortMapping[] | undefined;
}

/**
 * container_status.network_infos[].ip_addresses[].ip_address, or per network_info the 0.25
 * `ip_address`; with each IP its network's `name` ("" when absent or not a string); and whether
 * a network_info has a port mapping with a host port (task-addressing.ts statusPortMapped).
 */
function networkIPs(status: JsonObject): StatusNetwork {
  const container = optObject(status, 'container_status', '');
  if (!container) return NO_NETWORK;
  const ips: string[] = [];
  const names: string[] = [];
  const infos = optArray(container, 'network_infos', '.container_status');
  for (let i = 0; i < infos.length; i++) {
    try {
      const info = asObject(infos[i], '');
      const name = typeof info.name === 'string' ? info.name : '';
      const addresses = optArray(info, 'ip_addresses', '');
      if (addresses.length > 0) {
        for (let j = 0; j < addresses.length; j++) {
          let ip: string | undefined;
          try {
            ip = optString(asObject(addresses[j], ''), 'ip_address', '');
          } catch (err) {
            throw within(err, `.ip_addresses[${j}]`);
          }
          if (ip) ips.push(ip), names.push(name);
        }
      } else {
        const ip = optString(info, 'ip_address', '');
        if (ip) ips.push(ip), names.push(name);
      }
    } catch (err) {
      throw within(err, `.container_status.network_infos[${i}]`);
    }
  }
  return { ips, names, portMapped: statusPortMapped(container), mappings: statusPortMappings(container) };
}

/** A status without container_status: the shared empty lists. */
const NO_NETWORK: StatusNetwork = Object.freeze({ ips: NO_STRINGS as string[], names: NO_STRINGS as string[], portMapped: false, mappings: undefined });

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
