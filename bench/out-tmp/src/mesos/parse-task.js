// One /master/state task -> Task, reading what mesos-dns reads: ids, ports, the newest RUNNING
// status's IP sources, DiscoveryInfo. Pure. Errors name the field relative to the task (json-fields.ts).
import { StateParseError } from '../errors.js';
import { asObject, optArray, optBoolean, optNumber, optObject, optString, within } from './json-fields.js';
import { parsePortRanges } from './port-ranges.js';
/** Status label keys read by the `mesos` and `docker` IP sources (mesos-dns state.go). */
export const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress';
export const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress';
export function parseTask(json, path = 'task') {
    try {
        return taskAt(json);
    }
    catch (err) {
        throw within(err, path);
    }
}
/** The task at `json`; errors are relative to it (the caller adds the path). */
export function taskAt(json) {
    const o = asObject(json, '');
    const id = optString(o, 'id', '') ?? '';
    const name = optString(o, 'name', '') ?? '';
    const frameworkId = optString(o, 'framework_id', '') ?? '';
    const agentId = optString(o, 'slave_id', '') ?? '';
    const state = optString(o, 'state', '') ?? '';
    const resources = optObject(o, 'resources', '');
    const ranges = resources ? optString(resources, 'ports', '.resources') : undefined;
    const task = { id, name, frameworkId, agentId, state, ports: ranges === undefined ? [] : parsePortRanges(ranges) };
    const running = parseRunningStatus(optArray(o, 'statuses', ''));
    if (running)
        task.running = running;
    const discovery = parseDiscovery(o);
    if (discovery)
        task.discovery = discovery;
    return task;
}
/**
 * The TASK_RUNNING status with the largest timestamp (the first one on a tie); the master gives
 * statuses in no guaranteed order (mesos-dns state.go statusIPs). Only that one status is read
 * further: an older status carrying a container IP is never consulted.
 */
function parseRunningStatus(statuses) {
    let best;
    let bestIndex = 0;
    let bestTs = 0;
    for (let i = 0; i < statuses.length; i++) {
        let s;
        let ts;
        try {
            s = asObject(statuses[i], '');
            if (optString(s, 'state', '') !== 'TASK_RUNNING')
                continue;
            ts = optNumber(s, 'timestamp', '') ?? 0;
        }
        catch (err) {
            throw within(err, `.statuses[${i}]`);
        }
        if (best === undefined || ts > bestTs) {
            best = s;
            bestIndex = i;
            bestTs = ts;
        }
    }
    if (best === undefined)
        return undefined;
    try {
        return runningStatusAt(best, bestTs);
    }
    catch (err) {
        throw within(err, `.statuses[${bestIndex}]`);
    }
}
function runningStatusAt(best, timestamp) {
    const network = networkIPs(best);
    let mesos;
    let docker;
    const labels = optArray(best, 'labels', '');
    for (let i = 0; i < labels.length; i++) {
        let key;
        let value;
        try {
            const label = asObject(labels[i], '');
            key = optString(label, 'key', '');
            value = optString(label, 'value', '') ?? '';
        }
        catch (err) {
            throw within(err, `.labels[${i}]`);
        }
        if (key === MESOS_IP_LABEL)
            (mesos ??= []).push(value);
        else if (key === DOCKER_IP_LABEL)
            (docker ??= []).push(value);
    }
    const status = { timestamp, networkIPs: network, mesosLabelIPs: mesos ?? NO_STRINGS, dockerLabelIPs: docker ?? NO_STRINGS };
    const healthy = optBoolean(best, 'healthy', '');
    if (healthy !== undefined)
        status.healthy = healthy;
    return status;
}
/** Shared by every status without such IPs (most of them): one array, not three per task. */
export const NO_STRINGS = Object.freeze([]);
/** container_status.network_infos[].ip_addresses[].ip_address, or per network_info the 0.25 `ip_address`. */
function networkIPs(status) {
    const container = optObject(status, 'container_status', '');
    if (!container)
        return NO_STRINGS;
    const ips = [];
    const infos = optArray(container, 'network_infos', '.container_status');
    for (let i = 0; i < infos.length; i++) {
        try {
            const info = asObject(infos[i], '');
            const addresses = optArray(info, 'ip_addresses', '');
            if (addresses.length > 0) {
                for (let j = 0; j < addresses.length; j++) {
                    let ip;
                    try {
                        ip = optString(asObject(addresses[j], ''), 'ip_address', '');
                    }
                    catch (err) {
                        throw within(err, `.ip_addresses[${j}]`);
                    }
                    if (ip)
                        ips.push(ip);
                }
            }
            else {
                const ip = optString(info, 'ip_address', '');
                if (ip)
                    ips.push(ip);
            }
        }
        catch (err) {
            throw within(err, `.container_status.network_infos[${i}]`);
        }
    }
    return ips;
}
/** DiscoveryInfo; mesos-dns ignores it entirely unless it has a non-empty name (HasDiscoveryInfo). */
function parseDiscovery(task) {
    const o = optObject(task, 'discovery', '');
    if (!o)
        return undefined;
    try {
        return discoveryAt(o);
    }
    catch (err) {
        throw within(err, '.discovery');
    }
}
function discoveryAt(o) {
    const name = optString(o, 'name', '') ?? '';
    if (name === '')
        return undefined;
    const ports = [];
    const container = optObject(o, 'ports', '');
    if (container) {
        const list = optArray(container, 'ports', '.ports');
        for (let i = 0; i < list.length; i++) {
            try {
                const port = asObject(list[i], '');
                const number = optNumber(port, 'number', '') ?? 0;
                if (!Number.isInteger(number))
                    throw new StateParseError('.number: expected an integer');
                // Out of SRV range (RFC 2782: 16 bits): such a port cannot be published, so it is left out.
                if (number < 0 || number > 65535)
                    continue;
                ports.push({ number, protocol: optString(port, 'protocol', '') ?? '', name: optString(port, 'name', '') ?? '' });
            }
            catch (err) {
                throw within(err, `.ports.ports[${i}]`);
            }
        }
    }
    return { name, ports };
}
