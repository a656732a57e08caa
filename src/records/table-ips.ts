// The IPs of the table build: canonical text (net/address.ts), family decided once, an id in the
// table's IP list, de-duplicated per owner; and which of a task's IPs IPSources picks.
import { canonicalIP, isCanonicalIPv4 } from '../net/address.js';
import type { MasterState, Task } from '../mesos/state.js';
import { publishesHostPorts } from '../mesos/task-addressing.js';
import { IP_SOURCES, type IPSource } from '../config/schema.js';
import type { AddressRules } from '../config/typed.js';
import type { RecordSink } from './table-builder.js';

/** An IP in canonical text, with its family decided once and its id in the table's IP list. */
export interface Ip {
  text: string;
  v6: boolean;
  id: number;
}

/** Shared result for "no IPs" (never modified): most tasks have no container IP, and the sources are tried in turn. */
export const NO_IPS: Ip[] = [];

/**
 * Canonical, de-duplicated IPs; values that are not IP literals are skipped (mesos-dns:
 * net.ParseIP). `seen` remembers each raw text's Ip for the rest of the build: the same agent
 * and container addresses come up again and again, and canonicalising IPv6 is not cheap.
 */
export function toIps(b: RecordSink, seen: Map<string, Ip | null>, values: readonly string[] | undefined): Ip[] {
  if (values === undefined || values.length === 0) return NO_IPS;
  const out: Ip[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let ip = seen.get(v);
    if (ip === undefined) {
      // A new address in canonical text, when `seen` is the builder's own cache (a full build's
      // seenIps): one insertion, no second look-up by the builder (a container's address, once
      // per task). Other texts (IPv6 as written, not an address) are parsed once here.
      if (seen === b.ipCache && isCanonicalIPv4(v)) ip = b.newIp(v);
      else {
        const text = canonicalIP(v);
        ip = text === undefined ? null : b.ipOf(text);
      }
      seen.set(v, ip);
    }
    if (ip === null || includesIp(out, ip)) continue;
    out.push(ip);
  }
  return out.length === 0 ? NO_IPS : out;
}

function includesIp(ips: readonly Ip[], ip: Ip): boolean {
  for (let i = 0; i < ips.length; i++) if (ips[i].text === ip.text) return true;
  return false;
}

export function addIP(b: Pick<RecordSink, 'addA' | 'addAAAA'>, owner: number, ip: Ip): void {
  if (ip.v6) b.addAAAA(owner, ip.id);
  else b.addA(owner, ip.id);
}

/**
 * A task's container addresses: its network IPs (RunningStatus.networkIPs), only those on the
 * networks IPNetworks names when it names any (a network without a name never matches).
 */
export function containerIPs(b: RecordSink, seen: Map<string, Ip | null>, task: Task, networks: ReadonlySet<string> | null): Ip[] {
  const running = task.running;
  if (running === undefined) return NO_IPS;
  if (networks === null) return toIps(b, seen, running.networkIPs);
  const names = running.networkNames;
  if (names === undefined) return NO_IPS;
  const kept: string[] = [];
  for (let i = 0; i < running.networkIPs.length; i++) if (networks.has(names[i])) kept.push(running.networkIPs[i]);
  return toIps(b, seen, kept);
}

/**
 * Task IPs (docs/addresses.md): the task's own MESOS_DNS_IP_SOURCES order when `own` has one,
 * else AddressPolicy "auto" (dcos-net's autoip), else IPSources. `agentIps` itself is returned
 * when the agent's addresses are the answer (reverse-ptrs.ts tells them apart by identity).
 */
export function taskIPs(b: RecordSink, seen: Map<string, Ip | null>, task: Task, agentIps: Ip[], rules: AddressRules, own: readonly string[] | undefined): Ip[] {
  if (own === undefined && rules.auto) {
    // autoip: the container address unless the task publishes host ports, or has none.
    if (publishesHostPorts(task)) return agentIps;
    const ips = containerIPs(b, seen, task, rules.networks);
    return ips.length > 0 ? ips : agentIps;
  }
  return sourceIPs(b, seen, task, agentIps, own ?? rules.sources, rules.networks);
}

/** Task IPs per IPSources, HEAD (e888ef4) rule: every IP of the first source that yields any. */
function sourceIPs(b: RecordSink, seen: Map<string, Ip | null>, task: Task, agentIps: Ip[], sources: readonly string[], networks: ReadonlySet<string> | null): Ip[] {
  for (let i = 0; i < sources.length; i++) {
    let ips: Ip[];
    switch (sources[i]) {
      case 'host':
        ips = agentIps;
        break;
      case 'netinfo':
        ips = containerIPs(b, seen, task, networks);
        break;
      case 'mesos':
        ips = toIps(b, seen, task.running?.mesosLabelIPs);
        break;
      case 'docker':
        ips = toIps(b, seen, task.running?.dockerLabelIPs);
        break;
      default:
        ips = NO_IPS;
    }
    if (ips.length > 0) return ips;
  }
  return NO_IPS;
}

/**
 * A MESOS_DNS_IP_SOURCES label value (`netinfo,host`: IP sources separated by commas, spaces
 * around them allowed) as a source list; undefined when it is not one (empty, an unknown or
 * repeated source), and the task then follows the global rule (docs/addresses.md).
 */
export function parseIpSourcesLabel(value: string): readonly IPSource[] | undefined {
  const out: IPSource[] = [];
  for (const part of value.split(',')) {
    const source = part.trim() as IPSource;
    if (!IP_SOURCES.includes(source) || out.includes(source)) return undefined;
    out.push(source);
  }
  return out;
}

/**
 * A task's own source order (its MESOS_DNS_IP_SOURCES label, parsed), or undefined; for one table
 * build, which parses each distinct label value once (few values, many tasks).
 */
export function ownSourcesOf(): (task: Task) => readonly IPSource[] | undefined {
  const parsed = new Map<string, readonly IPSource[] | undefined>();
  return (task) => {
    const value = task.addressing?.ipSources;
    if (value === undefined) return undefined;
    if (!parsed.has(value)) parsed.set(value, parseIpSourcesLabel(value));
    return parsed.get(value);
  };
}

/** Running tasks whose MESOS_DNS_IP_SOURCES label is not a source list (publish.ts warns once per task). */
export function invalidIpSourceLabels(state: MasterState): { taskId: string; value: string }[] {
  const out: { taskId: string; value: string }[] = [];
  for (const fw of state.frameworks) invalidIpSourceLabelsOf(fw.tasks, out);
  return out;
}

/** invalidIpSourceLabels over some tasks (a patch's), appended to `out`. */
export function invalidIpSourceLabelsOf(tasks: Iterable<Task>, out: { taskId: string; value: string }[] = []): { taskId: string; value: string }[] {
  for (const task of tasks) {
    const value = task.addressing?.ipSources;
    if (value !== undefined && task.state === 'TASK_RUNNING' && parseIpSourcesLabel(value) === undefined) out.push({ taskId: task.id, value });
  }
  return out;
}
