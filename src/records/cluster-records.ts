// The records that are not a task's (mesos-dns insertion order: frameworks, agents, this server,
// masters), added before the tasks'. Called by the full build (build-table.ts) and by the
// incremental table when an agent or framework event changes them (incremental/cluster-change.ts):
// one function, so the two cannot disagree. Pure: hostnames were resolved beforehand (`ipsOf`).
import type { MasterState } from '../mesos/state.js';
import type { BuildInputs } from './build-table.js';
import type { LabelFunc } from './labels.js';
import { masterRecords } from './master-records.js';
import type { TableBuilder } from './table-builder.js';
import { addIP, toIps, type Ip } from './table-ips.js';
import { agentContext, frameworkLabel, type AgentContext } from './task-records.js';

export interface ClusterRecords {
  /** Per framework (state order): its sanitised label; "" generates no records. */
  fwNames: string[];
  /** Per agent id: what its tasks' records need. */
  agents: Map<string, AgentContext>;
  /** The SOA MNAME, absolute and lower case. */
  mname: string;
}

export function clusterRecords(
  b: TableBuilder,
  state: MasterState,
  inputs: Pick<BuildInputs, 'config' | 'masters' | 'selfAddresses'>,
  seenIps: Map<string, Ip | null>,
  ipsOf: (host: string) => Ip[],
  label: LabelFunc,
): ClusterRecords {
  const { config } = inputs;
  const zone = config.typed.zone;
  // --- frameworks: `fw.domain.` A/AAAA and `_framework._tcp.fw.domain.` ------------------------
  const fwNames = state.frameworks.map((fw) => frameworkLabel(fw.name, label));
  state.frameworks.forEach((fw, i) => {
    const fname = fwNames[i];
    if (fname === '') return;
    // A framework without a pid (HTTP API scheduler) is found by its `hostname`, with no SRV.
    const ips = ipsOf(fw.pid ? fw.pid.host : fw.hostname);
    if (ips.length === 0) return;
    const owner = b.name(`${fname}.${zone}`);
    for (const ip of ips) addIP(b, owner, ip);
    if (fw.pid) b.addSRV(b.name(`_framework._tcp.${fname}.${zone}`), owner, fw.pid.port);
  });

  // --- agents: `slave.domain.` and `_slave._tcp.domain.` ------------------------------------
  const agents = new Map<string, AgentContext>();
  const slaveOwner = b.name(`slave.${zone}`);
  const slaveSrvOwner = b.name(`_slave._tcp.${zone}`);
  for (const agent of state.agents) {
    const ips = agent.pid ? ipsOf(agent.pid.host) : [];
    if (agent.pid && ips.length > 0) {
      for (const ip of ips) addIP(b, slaveOwner, ip);
      b.addSRV(slaveSrvOwner, slaveOwner, agent.pid.port);
    }
    agents.set(agent.id, agentContext(agent.id, ips));
  }

  // --- this server: the SOA MNAME record ------------------------------------------------------
  let mname = config.SOAMname.toLowerCase();
  if (!mname.endsWith('.')) mname += '.';
  const selfIps = toIps(b, seenIps, inputs.selfAddresses);
  if (selfIps.length > 0) {
    const owner = b.name(mname);
    for (const ip of selfIps) addIP(b, owner, ip);
  }

  masterRecords(b, state, inputs.masters, zone, ipsOf);
  return { fwNames, agents, mname };
}
