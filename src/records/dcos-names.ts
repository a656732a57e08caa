// DC/OS names (DcosNames, issue 15 item 5; docs/dcos-names.md): the records dcos-net's dcos_dns
// and dcos_l4lb publish under `thisdcos.directory.`, so a cluster moving off dcos-dns keeps its
// names. Part of the table build (pure): build-table.ts calls addDcosTask for each task it
// names, after the task's Mesos records (so /v1/enumerate, which lists those, is unchanged).
//
// The rules are dcos-net's: apps/dcos_dns/src/dcos_dns_mesos.erl (task_agentip, task_containerip,
// task_autoip), apps/dcos_l4lb/src/dcos_l4lb_mesos_poller.erl (key, backends) and
// dcos_l4lb_lashup_vip_listener.erl (to_name).
import { canonicalIP } from '../net/address.js';
import type { Task } from '../mesos/state.js';
import { publishesHostPorts, taskVips } from '../mesos/task-addressing.js';
import type { LabelFunc } from './labels.js';
import { domainFrag } from './labels.js';
import { addIP, toIps, type Ip } from './table-ips.js';
import type { TableBuilder } from './table-builder.js';

/** The zone of the DC/OS names, absolute. */
export const DCOS_ZONE = 'thisdcos.directory.';

/** What addDcosTask needs of one task, worked out by build-table.ts. */
export interface DcosTask {
  task: Task;
  /** The framework's name as given (`frameworks[].name`). */
  framework: string;
  agentIps: Ip[];
  /** The task's container addresses (IPNetworks applied). */
  containerIps: Ip[];
  /** `canonical.fw.slave.domain.`: the SRV target of a VIP backend on a host port (one per task). */
  slaveCanonical: string | undefined;
}

/** Whether one of `ips` is IPv6 (`v6`) or IPv4. */
function hasFamily(ips: readonly Ip[], v6: boolean): boolean {
  for (let i = 0; i < ips.length; i++) if (ips[i].v6 === v6) return true;
  return false;
}

/** A name part that would put an empty label into a name (RFC 1035 §3.1). */
function bad(part: string): boolean {
  return part === '' || part.startsWith('.') || part.endsWith('.') || part.includes('..');
}

/**
 * `<task>.<framework>.agentip|containerip|autoip.dcos.thisdcos.directory.`, and the VIP names of
 * the task's Minuteman labels. `task` is the DiscoveryInfo name when there is one, else the task
 * name, and both `task` and `framework` become one label each (dcos-net format_name).
 */
export function addDcosTask(b: TableBuilder, seen: Map<string, Ip | null>, label: LabelFunc, t: DcosTask): void {
  const { task } = t;
  const taskLabel = label(task.discovery !== undefined && task.discovery.name !== '' ? task.discovery.name : task.name);
  const fwLabel = label(t.framework);
  if (!bad(taskLabel) && !bad(fwLabel)) {
    const tail = `.${fwLabel}`;
    const agentOwner = b.name(`${taskLabel}${tail}.agentip.dcos.${DCOS_ZONE}`);
    for (const ip of t.agentIps) addIP(b, agentOwner, ip);
    if (t.containerIps.length > 0) {
      const containerOwner = b.name(`${taskLabel}${tail}.containerip.dcos.${DCOS_ZONE}`);
      for (const ip of t.containerIps) addIP(b, containerOwner, ip);
    }
    // autoip: the agent when the task publishes host ports, or has no container address.
    const auto = publishesHostPorts(task) || t.containerIps.length === 0 ? t.agentIps : t.containerIps;
    const autoOwner = b.name(`${taskLabel}${tail}.autoip.dcos.${DCOS_ZONE}`);
    for (const ip of auto) addIP(b, autoOwner, ip);
  }
  // The VIPs with the port mappings applied: the container's, or a pod's status's (taskVips).
  const vips = taskVips(task);
  if (vips === undefined) return;
  // VIP names keep the framework's dots as labels (dcos-net to_name uses domain_frag).
  const fwFrag = domainFrag(t.framework, label);
  if (bad(fwFrag)) return;
  for (const vip of vips) {
    // `name:port` or `ip:port`, split at the last colon (dcos-net key: string:split trailing).
    const colon = vip.vip.lastIndexOf(':');
    const port = Number(vip.vip.slice(colon + 1));
    if (colon < 0 || !/^\d+$/.test(vip.vip.slice(colon + 1)) || port < 1 || port > 65535) continue;
    const host = vip.vip.slice(0, colon);
    // An IP VIP is what inet:parse_strict_address takes: no brackets, so `[fd00::1]:80` is a
    // named VIP (its name's label drops the brackets and colons: `fd001`), as in dcos-net.
    const address = canonicalIP(host);
    if (address !== undefined) {
      // An IP VIP has no name in DC/OS; here the task's own name under l4lb answers it.
      if (bad(taskLabel)) continue;
      // Only while the task is one of its backends: dcos-net (validate_backend_ip, IPv6 on, its
      // default) drops a backend on a container port whose address is not of the VIP's family.
      // A host-port backend is the agent's address, kept whatever the family.
      if (!vip.hostPort && !hasFamily(t.containerIps, address.includes(':'))) continue;
      const owner = b.name(`${taskLabel}.${fwFrag}.l4lb.${DCOS_ZONE}`);
      for (const ip of toIps(b, seen, [address])) addIP(b, owner, ip);
      continue;
    }
    const name = domainFrag(host, label);
    const service = label(host);
    if (bad(name)) continue;
    // Backends (dcos-net backends/3): the agent on a host port, else the task's container addresses.
    const owner = b.name(`${name}.${fwFrag}.l4lb.${DCOS_ZONE}`);
    const backends = vip.hostPort ? t.agentIps : t.containerIps;
    for (const ip of backends) addIP(b, owner, ip);
    if (bad(service)) continue;
    const srvOwner = b.name(`_${service}._${vip.protocol}.${fwFrag}.l4lb.${DCOS_ZONE}`);
    if (vip.hostPort) {
      // Each instance has its own host port: the target is the task's own agent name.
      if (t.slaveCanonical !== undefined) b.addSRV(srvOwner, b.name(t.slaveCanonical), vip.port);
    } else if (t.containerIps.length > 0 && !bad(taskLabel) && !bad(fwLabel)) {
      // Every instance listens on the same container port: the app's containerip name.
      b.addSRV(srvOwner, b.name(`${taskLabel}.${fwLabel}.containerip.dcos.${DCOS_ZONE}`), vip.port);
    }
  }
}
