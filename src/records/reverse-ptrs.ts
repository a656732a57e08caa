// Which names an address's PTR records hold, and in what order (docs/naming.md "Reverse
// lookups"). Per address, most specific first:
//   1. the tasks with that address of their own: first each one's `task-hash-agent.fw.domain.`
//      (canonical: unique per task and stable while it runs), then their `task.fw.domain.`
//      (shared by a task's instances); both in the byte order of the canonical names,
//   2. `slave.domain.` for an agent's address,
//   3. `masterN.domain.`, then `leader.domain.`, then `master.domain.` for a master's,
//   4. `fw.domain.` for a framework scheduler's (frameworks in state order), then `SOAMname`
//      for this server's own.
// So every address the forward zone answers with has a PTR back, except the task and `.slave.`
// task names on an agent's address:
// a task whose address is its agent's (host networking, or a container status reporting the
// agent address) adds no PTR: the address is the agent's, and naming every task on it would
// make the answer grow with each task started there.
import type { Ip } from './table-ips.js';
import { ReverseCollector, type ReverseData } from './reverse-table.js';
import type { NameRecords } from './table.js';

/** One task's PTR names for one of its addresses. */
export interface TaskPtr {
  readonly ip: string;
  readonly canonical: string;
  readonly name: string;
}

/**
 * Adds a running task's PTR names: `label` is its sanitised task (or DiscoveryInfo) label,
 * `suffix` `hash-agenttail`, `fwTail` `.fw.domain.`.
 */
export function collectTaskPtrs(out: TaskPtr[], taskIps: readonly Ip[], agentIps: readonly Ip[], label: string, suffix: string, fwTail: string): void {
  if (label === '') return;
  for (const ip of taskIps) {
    if (agentIps.some((a) => a.text === ip.text)) continue;
    out.push({ ip: ip.text, canonical: `${label}-${suffix}${fwTail}`, name: `${label}${fwTail}` });
  }
}

/**
 * The reverse data of one build. `names` is the forward table: the agent, master, framework and
 * self names are read back from it, so a PTR never names what the forward zone does not answer.
 */
export function reversePtrs(
  tasks: TaskPtr[],
  names: ReadonlyMap<string, NameRecords>,
  zone: string,
  frameworks: readonly string[],
  mname: string,
  configuredZones: readonly string[],
): ReverseData {
  const c = new ReverseCollector();
  // Sorted as a copy: the caller's list stays in state order (the incremental table keeps ranges of it).
  tasks = tasks.slice().sort((x, y) => (x.canonical < y.canonical ? -1 : x.canonical > y.canonical ? 1 : 0));
  // Each task's address slot from the first pass, so the second needs no look-up by address.
  const slots = new Int32Array(tasks.length);
  for (let i = 0; i < tasks.length; i++) slots[i] = c.add(tasks[i].ip, tasks[i].canonical);
  for (let i = 0; i < tasks.length; i++) c.addAt(slots[i], tasks[i].name);
  for (const owner of reverseOwnerNames(names, zone, frameworks, mname)) {
    const records = names.get(owner);
    if (records === undefined) continue;
    for (const ip of records.a) c.add(ip, owner);
    for (const ip of records.aaaa) c.add(ip, owner);
  }
  return c.finish(configuredZones);
}

/** The forward names whose addresses get PTRs besides the tasks', in order (3. and 4. above). */
export function reverseOwnerNames(names: Pick<ReadonlyMap<string, unknown>, 'has'>, zone: string, frameworks: readonly string[], mname: string): string[] {
  const owners = [`slave.${zone}`];
  for (let n = 0; names.has(`master${n}.${zone}`); n++) owners.push(`master${n}.${zone}`);
  owners.push(`leader.${zone}`, `master.${zone}`);
  for (const fw of frameworks) if (fw !== '') owners.push(`${fw}.${zone}`);
  owners.push(mname);
  return owners;
}

/**
 * The full build's task PTRs as ids (three Int32s each: the address's IP id, the canonical name's
 * id, the task name's id), in the order collectTaskPtrs would list them. Why: as TaskPtr objects a
 * 100,000-task build made 100,000 objects and 300,000 strings that lived to its end, so every
 * young-generation collection during the build copied them (the collector was the largest part
 * of a first build), then sorted, joined and encoded them again. The names are the forward
 * table's own (the task's A-record owners), so their bytes are already in its blob.
 */
export class TaskPtrLog {
  #e = new Int32Array(3 * 1024);
  #n = 0;

  /** Entries so far (what spans count, like a TaskPtr[]'s length). */
  get length(): number {
    return this.#n;
  }

  /** A task's addresses of its own (not its agent's) with its canonical and task name ids. */
  addTask(taskIps: readonly Ip[], agentIps: readonly Ip[], canonical: number, name: number): void {
    for (const ip of taskIps) {
      if (agentIps.some((a) => a.id === ip.id)) continue;
      if (3 * this.#n + 3 > this.#e.length) {
        const bigger = new Int32Array(this.#e.length * 2);
        bigger.set(this.#e);
        this.#e = bigger;
      }
      const at = 3 * this.#n++;
      this.#e[at] = ip.id;
      this.#e[at + 1] = canonical;
      this.#e[at + 2] = name;
    }
  }

  /** [ip id, canonical id, name id] per entry. */
  get entries(): Int32Array {
    return this.#e.subarray(0, 3 * this.#n);
  }
}
