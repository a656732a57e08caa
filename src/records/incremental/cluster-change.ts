// Agent and framework events for the incremental table (incremental-table.ts). Their own records
// (`fw.domain.`, `_framework._tcp.fw.domain.`, `slave.domain.`, `_slave._tcp.domain.`, and the
// masters' and this server's, which come with them) are made again by the build's own function
// (cluster-records.ts): a cost per agent and framework, never per task. Tasks are taken again only
// where their records depend on the change:
//   - an agent added, removed, or with new addresses: the tasks on it (its address is in their
//     `.slave.` names, and an unknown agent's tasks have no records at all);
//   - a framework added: its tasks; removed: its tasks go; renamed: its tasks again (the label is
//     in every name of theirs); a new pid or hostname only changes the framework's own records.
// Hostnames (agents and frameworks named by host rather than IP) are resolved by the caller
// before the patch (publish.ts); a host the inputs do not hold is refused here (a full build
// resolves it).
import type { MasterState } from '../../mesos/state.js';
import { canonicalIP } from '../../net/address.js';
import type { LabelFunc } from '../labels.js';
import { frameworkContext, type AgentContext, type FrameworkContext } from '../task-records.js';
import { FRAMEWORK_STRIDE, type AddedTask, type TaskSlot } from './task-changes.js';

/** The incremental table's frameworks, in state order. */
export interface Frameworks {
  /** Per framework: its tasks by id. */
  slots: Map<string, TaskSlot>[];
  /** Per framework: its task-record context; undefined when its label is "" (no records). */
  contexts: (FrameworkContext | undefined)[];
  /** Per framework: its name as the state gives it (DC/OS names use it). */
  names: string[];
  /** Framework id -> index. */
  index: Map<string, number>;
  /**
   * Per framework: the base of its tasks' build order (order = base * FRAMEWORK_STRIDE + seq). It
   * stays with the framework when others before it go, and a new framework gets a base above all.
   */
  bases: number[];
  /** Base -> index now. */
  byBase: Map<number, number>;
}

/** The agent and framework hosts the patch would need resolved and `addresses` does not hold, each once. */
export function unresolvedHosts(state: MasterState, addresses: ReadonlyMap<string, readonly string[]>): string[] {
  const out = new Set<string>();
  const check = (host: string): void => {
    if (host !== '' && canonicalIP(host) === undefined && !addresses.has(host)) out.add(host);
  };
  for (const agent of state.agents) if (agent.pid) check(agent.pid.host);
  for (const fw of state.frameworks) check(fw.pid ? fw.pid.host : fw.hostname);
  return [...out];
}

/**
 * The frameworks of `state` from those of `previous` (`fws`): kept ones keep their tasks; the
 * tasks of removed and renamed frameworks go to `removed`, and those of added and renamed ones
 * to `added` in state order. Returns the new frameworks and the ids whose tasks were all taken
 * (the change log and task-list diff skip them).
 */
export function changeFrameworks(
  previous: MasterState,
  state: MasterState,
  fws: Frameworks,
  labels: readonly string[],
  zone: string,
  label: LabelFunc,
  nextBase: () => number,
  nextSeq: () => number,
  removed: TaskSlot[],
  added: AddedTask[],
): { frameworks: Frameworks; wholesale: Set<string> } {
  const next: Frameworks = { slots: [], contexts: [], names: [], index: new Map(), bases: [], byBase: new Map() };
  const wholesale = new Set<string>();
  const kept = new Set<number>();
  // Bases rise in state order (the build order); a framework that moved after one that was behind
  // it (removed and added again) gets a new base and its tasks again.
  let last = -1;
  state.frameworks.forEach((fw, i) => {
    const j = fws.index.get(fw.id);
    next.index.set(fw.id, i);
    next.names.push(fw.name);
    const inOrder = j !== undefined && fws.bases[j] > last;
    if (inOrder && previous.frameworks[j].name === fw.name) {
      last = fws.bases[j];
      kept.add(j);
      next.slots.push(fws.slots[j]);
      next.contexts.push(fws.contexts[j]);
      next.bases.push(fws.bases[j]);
      next.byBase.set(fws.bases[j], i);
      return;
    }
    // New, renamed (its label is in every name of its tasks) or moved: all its tasks, in state order.
    if (j !== undefined) {
      kept.add(j);
      for (const slot of fws.slots[j].values()) removed.push(slot);
    }
    const base = inOrder ? fws.bases[j] : nextBase();
    last = base;
    wholesale.add(fw.id);
    next.slots.push(new Map());
    next.contexts.push(labels[i] === '' ? undefined : frameworkContext(labels[i], zone, label));
    next.bases.push(base);
    next.byBase.set(base, i);
    for (const task of fw.tasks) added.push({ fw: i, task, order: base * FRAMEWORK_STRIDE + nextSeq() });
  });
  for (let j = 0; j < fws.slots.length; j++) if (!kept.has(j)) for (const slot of fws.slots[j].values()) removed.push(slot);
  return { frameworks: next, wholesale };
}

/**
 * The tasks on the agents `changed`, unless taken already: taken out (`removed`) and in again
 * (`added`) in their places. Found by a pass over every task: no index by agent is kept (a Set per
 * agent was ~10 ms of the incremental table's start at 100,000 tasks, for an event that is rare
 * and costs a few ms this way).
 */
export function retakeAgentTasks(fws: Frameworks, changed: readonly string[], removed: TaskSlot[], added: AddedTask[]): void {
  const taken = new Set(removed);
  const agents = new Set(changed);
  for (const slots of fws.slots) {
    for (const slot of slots.values()) {
      if (!agents.has(slot.task.agentId) || taken.has(slot)) continue;
      removed.push(slot);
      added.push({ fw: fws.byBase.get(Math.floor(slot.order / FRAMEWORK_STRIDE))!, task: slot.task, order: slot.order });
    }
  }
}

/** The ids of agents added, removed, or whose addresses changed. */
export function changedAgents(before: ReadonlyMap<string, AgentContext>, after: ReadonlyMap<string, AgentContext>): string[] {
  const out: string[] = [];
  for (const [id, ctx] of after) {
    const old = before.get(id);
    if (old === undefined || old.ips.length !== ctx.ips.length || old.ips.some((ip, k) => ip.text !== ctx.ips[k].text)) out.push(id);
  }
  for (const id of before.keys()) if (!after.has(id)) out.push(id);
  return out;
}
