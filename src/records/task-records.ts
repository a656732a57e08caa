// One task's records: the single function both the full build (build-table.ts) and the
// incremental table (incremental/) call, so the two can never disagree about what a task adds
// (docs/architecture.md "The incremental table"). Pure: the sink interns names and IPs and takes
// the records; the order of the calls is the order of the records under each name.
import type { Discovery, Task } from '../mesos/state.js';
import { domainFrag, type LabelFunc } from './labels.js';
import { namePart, NO_PART } from './name-interner.js';
import { collectTaskPtrs, TaskPtrLog, type TaskPtr } from './reverse-ptrs.js';
import type { RecordSink } from './table-builder.js';
import type { SharedSink } from './health-policy.js';
import { addIP, containerIPs, taskIPs, type Ip } from './table-ips.js';
import type { AddressRules } from '../config/typed.js';
import { addDcosTask } from './dcos-names.js';
import type { TableBuilder } from './table-builder.js';
import { taskHash } from './task-hash.js';

/** What the task records need of the agent a task runs on. */
export interface AgentContext {
  ips: Ip[];
  /** `-agenttail` as a name part. */
  tail: Uint8Array;
  tailText: string;
}

/** Last `-`-separated field of the agent id, lower-cased (`…-S3` -> `s3`). */
export function agentTail(agentId: string): string {
  return agentId.slice(agentId.lastIndexOf('-') + 1).toLowerCase();
}

export function agentContext(agentId: string, ips: Ip[]): AgentContext {
  const tailText = agentTail(agentId);
  return { ips, tail: namePart(`-${tailText}`), tailText };
}

/**
 * A name part that would put an empty label into an owner name (RFC 1035 §3.1: only the root
 * label is empty). Sanitised labels never do; framework names that sanitise to "" and legacy raw
 * DiscoveryInfo names such as ".x" or "a..b" do, and such names are not generated.
 */
function makesEmptyLabel(part: string): boolean {
  return part === '' || part.startsWith('.') || part.endsWith('.') || part.includes('..');
}

/** A framework's sanitised name (`fw` in `task.fw.domain.`); "" generates no records. */
export function frameworkLabel(name: string, label: LabelFunc): string {
  return domainFrag(name, label);
}

/** The framework part of the task records; one per framework and build (its groups cache name ids). */
export function frameworkContext(fname: string, zone: string, label: LabelFunc): FrameworkContext {
  const fwTail = `.${fname}.${zone}`;
  const slaveTail = `.${fname}.slave.${zone}`;
  return {
    fwTail,
    slaveTail,
    parts: [namePart(fwTail), namePart(slaveTail), namePart(`._tcp${slaveTail}`), namePart(`._udp${slaveTail}`), namePart(`._tcp${fwTail}`), namePart(`._udp${fwTail}`)],
    groups: new Map(),
    label,
  };
}

/** What stays the same over the tasks of one build. */
export interface TaskRecordOptions {
  /** AddressPolicy, IPSources, IPNetworks (config.typed.addresses; docs/addresses.md). */
  rules: AddressRules;
  /** A task's own MESOS_DNS_IP_SOURCES order, parsed (table-ips.ts ownSourcesOf). */
  ownSources: (task: Task) => readonly string[] | undefined;
  /** Raw IP text -> Ip, shared by the build (see toIps). */
  seenIps: Map<string, Ip | null>;
  /**
   * PTR names of tasks with an address of their own are appended here; null when PtrOn is off.
   * A full build passes a TaskPtrLog (ids, no strings); a patch, the TaskPtr list it compares.
   */
  ptrs: TaskPtr[] | TaskPtrLog | null;
}

const hash = namePart('-ybndr'); // `-` and five z-base-32 digits (task-hash.ts), rewritten per task

/**
 * The records of one task of framework `fw` (a framework whose label is not ""), in the order
 * of mesos-dns's chains: false when it has none because it is not running or not on a known
 * agent (then /v1/enumerate does not list it either). Records under the task label's shared
 * names go to `shared` (a HealthGate's sink under a HealthPolicy, health-policy.ts), the task's
 * canonical names straight to `b`.
 */
export function taskRecords(
  b: RecordSink,
  fw: FrameworkContext,
  task: Task,
  agents: ReadonlyMap<string, AgentContext>,
  options: TaskRecordOptions,
  shared: SharedSink = b,
): boolean {
  if (task.state !== 'TASK_RUNNING') return false;
  const agent = agents.get(task.agentId);
  if (agent === undefined) return false; // not on a known agent
  // The canonical label's suffix `-hash-agenttail`, as two name parts; the hash one is
  // rewritten per task (the interner copies the bytes it keeps).
  const hashText = task.idHash ?? taskHash(task.id);
  for (let k = 0; k < 5; k++) hash[k + 1] = hashText.charCodeAt(k);
  const taskIps = taskIPs(b, options.seenIps, task, agent.ips, options.rules, options.ownSources(task));
  const discovery = task.discovery !== undefined && task.discovery.name !== '' ? task.discovery : undefined;
  const label = fw.label;
  const ptrs = options.ptrs !== null && taskIps !== agent.ips && taskIps.length > 0 ? options.ptrs : null;
  // The PTR label: the sanitised one, which the last taskContextRecords call below uses.
  const ptrLabel = ptrs === null ? '' : label(discovery !== undefined ? discovery.name : task.name);
  if (ptrs !== null && !(ptrs instanceof TaskPtrLog)) collectTaskPtrs(ptrs, taskIps, agent.ips, ptrLabel, `${hashText}-${agent.tailText}`, fw.fwTail);
  let canonical: number;
  if (discovery !== undefined) {
    // Legacy set first, under the DiscoveryInfo name exactly as given (mesos-dns keeps it
    // "LEGACY, TODO: REMOVE"; the compatibility table contains it), then the sanitised one.
    // A name that is a label already gives the same set twice, and the second adds nothing
    // (every record a repeat, dropped by the builder, and not listed by /v1/enumerate).
    const sanitised = label(discovery.name);
    canonical = taskContextRecords(b, shared, fw, task.ports, hash, agent.tail, taskIps, agent.ips, discovery, discovery.name);
    if (sanitised !== discovery.name) canonical = taskContextRecords(b, shared, fw, task.ports, hash, agent.tail, taskIps, agent.ips, discovery, sanitised);
  } else {
    canonical = taskContextRecords(b, shared, fw, task.ports, hash, agent.tail, taskIps, agent.ips, undefined, label(task.name));
  }
  // The same names collectTaskPtrs spells out, by the ids the calls above interned (a sanitised
  // label is "" or makes no empty label, so `canonical` is set whenever ptrLabel is not "").
  if (ptrs instanceof TaskPtrLog && ptrLabel !== '' && canonical >= 0) ptrs.addTask(taskIps, agent.ips, canonical, fw.groups.get(ptrLabel)!.owner);
  return true;
}

/**
 * The DC/OS names of a task taskRecords() named (DcosNames, dcos-names.ts), added after its Mesos
 * records. Full builds only: the incremental table refuses while DcosNames is on.
 */
export function dcosTaskRecords(b: TableBuilder, fw: FrameworkContext, task: Task, agents: ReadonlyMap<string, AgentContext>, options: TaskRecordOptions, framework: string): void {
  const agent = agents.get(task.agentId);
  if (agent === undefined) return;
  const canonical = fw.label(task.discovery !== undefined && task.discovery.name !== '' ? task.discovery.name : task.name);
  const hashText = task.idHash ?? taskHash(task.id);
  const slaveCanonical = makesEmptyLabel(canonical) ? undefined : `${canonical}-${hashText}-${agent.tailText}${fw.slaveTail}`;
  const containerIps = containerIPs(b, options.seenIps, task, options.rules.networks);
  addDcosTask(b, options.seenIps, fw.label, { task, framework, agentIps: agent.ips, containerIps, slaveCanonical });
}

export interface FrameworkContext {
  /** `.fw.domain.` */
  fwTail: string;
  /** `.fw.slave.domain.` */
  slaveTail: string;
  /** As name parts (PART_*): fwTail, `.fw.slave.domain.`, then `._tcp`/`._udp` before each of those two. */
  parts: Uint8Array[];
  /** Name ids shared by all tasks with the same label in this framework. */
  groups: Map<string, TaskGroup>;
  label: LabelFunc;
}

const PART_FW = 0;
const PART_SLAVE = 1;
const PART_TCP_SLAVE = 2;
const PART_UDP_SLAVE = 3;
const PART_TCP_FW = 4;
const PART_UDP_FW = 5;
const UNDERSCORE = namePart('_');

/** The names one task label owns in a framework, interned once instead of once per task. */
interface TaskGroup {
  /** The label as a name part. */
  label: Uint8Array;
  owner: number;
  slaveOwner: number;
  /** `_task._tcp.fw.slave.`, `_task._udp.fw.slave.`, `_task._tcp.fw.`, `_task._udp.fw.`; filled on first use. */
  portOwners: number[] | undefined;
  /** DiscoveryInfo SRV owners by raw (protocol, port name); filled on first use. */
  discovery: Map<string, number[]> | undefined;
}

function taskGroup(b: RecordSink, fw: FrameworkContext, taskName: string): TaskGroup {
  let group = fw.groups.get(taskName);
  if (group === undefined) {
    // A name is interned here even if the task turns out to add nothing under it; only names
    // that get records become owners (table-builder.ts), so that changes nothing visible.
    const label = namePart(taskName);
    group = {
      label,
      owner: b.nameOfParts(label, fw.parts[PART_FW], NO_PART, NO_PART),
      slaveOwner: b.nameOfParts(label, fw.parts[PART_SLAVE], NO_PART, NO_PART),
      portOwners: undefined,
      discovery: undefined,
    };
    fw.groups.set(taskName, group);
  }
  return group;
}

/**
 * One task's records under one task label (mesos-dns taskContextRecord, chains.go order).
 * `hash` + `agentTail` (`-hash`, `-agenttail`) follow the label in the canonical label.
 * Returns the canonical name's id (`label-hash-agenttail.fw.domain.`), -1 when the label makes none.
 */
function taskContextRecords(
  b: RecordSink,
  shared: SharedSink,
  fw: FrameworkContext,
  ports: readonly number[],
  hash: Uint8Array,
  agentTail: Uint8Array,
  taskIps: readonly Ip[],
  slaveIps: readonly Ip[],
  discovery: Discovery | undefined,
  taskName: string,
): number {
  if (makesEmptyLabel(taskName)) return -1;
  const { fwTail } = fw;
  const group = taskGroup(b, fw, taskName);
  const canonicalOwner = b.nameOfParts(group.label, hash, agentTail, fw.parts[PART_FW]);
  const canonicalSlaveOwner = b.nameOfParts(group.label, hash, agentTail, fw.parts[PART_SLAVE]);
  for (let k = 0; k < taskIps.length; k++) {
    addIP(shared, group.owner, taskIps[k]);
    addIP(b, canonicalOwner, taskIps[k]);
  }
  for (let k = 0; k < slaveIps.length; k++) {
    addIP(shared, group.slaveOwner, slaveIps[k]);
    addIP(b, canonicalSlaveOwner, slaveIps[k]);
  }

  // Resource (host) ports target the agent canonical name: `.slave.` always, and the plain
  // framework name only while the task has no DiscoveryInfo.
  if (ports.length > 0) {
    const parts = fw.parts;
    group.portOwners ??= [
      b.nameOfParts(UNDERSCORE, group.label, parts[PART_TCP_SLAVE], NO_PART),
      b.nameOfParts(UNDERSCORE, group.label, parts[PART_UDP_SLAVE], NO_PART),
      b.nameOfParts(UNDERSCORE, group.label, parts[PART_TCP_FW], NO_PART),
      b.nameOfParts(UNDERSCORE, group.label, parts[PART_UDP_FW], NO_PART),
    ];
    const owners = group.portOwners;
    const count = discovery ? 2 : 4;
    for (let p = 0; p < ports.length; p++) for (let k = 0; k < count; k++) shared.addSRV(owners[k], canonicalSlaveOwner, ports[p]);
  }
  if (!discovery) return canonicalOwner;

  // DiscoveryInfo ports target the task canonical name. An empty protocol means both; a named
  // port is published a second time under `_name.`.
  const service = `_${taskName}`;
  group.discovery ??= new Map();
  for (const port of discovery.ports) {
    const key = `${port.protocol}\u0000${port.name}`;
    let owners = group.discovery.get(key);
    if (owners === undefined) {
      const protocol = fw.label(port.protocol);
      const plain = protocol === '' ? [`${service}._tcp${fwTail}`, `${service}._udp${fwTail}`] : [`${service}._${protocol}${fwTail}`];
      const portName = fw.label(port.name);
      const all = portName === '' ? plain : [...plain, ...plain.map((o) => `_${portName}.${o}`)];
      owners = all.map((o) => b.name(o));
      group.discovery.set(key, owners);
    }
    for (const owner of owners) shared.addSRV(owner, canonicalOwner, port.number);
  }
  return canonicalOwner;
}
