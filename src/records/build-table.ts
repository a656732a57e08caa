// MasterState -> RecordTable, the way mesos-dns's RecordGenerator.InsertState does it, with the
// decisions of docs/naming.md (which lists every name and record). Pure and deterministic: hostnames
// were resolved beforehand (resolve-hosts.ts) and the self addresses and serial are passed in.
//
// Insertion order follows mesos-dns (frameworks, agents, self, leader/masters, tasks) because
// it decides the order of values under a name and the /v1/enumerate rows.
import type { Config } from '../config/typed.js';
import type { HostPort } from '../net/address.js';
import { masterRecords } from './master-records.js';
import { addIP, containerIPs, ownSourcesOf, taskIPs, toIps, type Ip } from './table-ips.js';
import { addDcosTask, DCOS_ZONE } from './dcos-names.js';
import type { Discovery, MasterState } from '../mesos/state.js';
import { cachedLabelFunc, domainFrag, type LabelFunc } from './labels.js';
import { hostIPs } from './resolve-hosts.js';
import type { EnumerateFramework, RecordTable, SoaData, TableHealth } from './table.js';
import { enumerate, type FrameworkTasks, type PendingEnumeration } from './enumerate-log.js';
import { taskHash } from './task-hash.js';
import { PackedExisting, PackedNames, type PackedTable } from './packed-table.js';
import { TableBuilder } from './table-builder.js';
import { namePart, NO_PART } from './name-interner.js';
import { reverseTable, type ReverseData } from './reverse-table.js';
import { collectTaskPtrs, reversePtrs, type TaskPtr } from './reverse-ptrs.js';
import { HealthGate, passesPolicy, type SharedSink } from './health-policy.js';

export interface BuildInputs {
  config: Pick<
    Config,
    | 'typed'
    | 'TTL'
    | 'SRVRecordDefaultWeight'
    | 'IPSources'
    | 'EnforceRFC952'
    | 'SOAMname'
    | 'SOARname'
    | 'SOARefresh'
    | 'SOARetry'
    | 'SOAExpire'
    | 'HealthPolicy'
  >;
  /** The current masters list, in order (masterN numbering follows it). */
  masters: readonly HostPort[];
  /** hostname -> IPs, resolved beforehand; a missing or empty entry means "contributes nothing". */
  addresses: ReadonlyMap<string, readonly string[]>;
  /** The addresses of this server, for the SOAMname record. */
  selfAddresses: readonly string[];
  serial: number;
}

/** Last `-`-separated field of the agent id, lower-cased (`…-S3` -> `s3`). */
function agentTail(agentId: string): string {
  return agentId.slice(agentId.lastIndexOf('-') + 1).toLowerCase();
}

/**
 * A name part that would put an empty label into an owner name (RFC 1035 §3.1: only the root
 * label is empty). Sanitised labels never do; framework names that sanitise to "" and legacy raw
 * DiscoveryInfo names such as ".x" or "a..b" do, and such names are not generated.
 */
function makesEmptyLabel(part: string): boolean {
  return part === '' || part.startsWith('.') || part.endsWith('.') || part.includes('..');
}

export function buildTable(state: MasterState, inputs: BuildInputs): RecordTable {
  const { config } = inputs;
  const zone = config.typed.zone;
  const label = cachedLabelFunc(config.EnforceRFC952);
  const weight = config.SRVRecordDefaultWeight;
  // Sizes for the builder's arrays, so that they need not grow (a copy of tens of MB) or sit
  // mostly empty: about 4 names per task, and per task a few A records plus 4 SRVs per port
  // (bench/gen-state.ts: 3.8 names and 13.3 log entries per task).
  let tasks = 0;
  let ports = 0;
  for (const fw of state.frameworks) {
    tasks += fw.tasks.length;
    for (let t = 0; t < fw.tasks.length; t++) {
      const task = fw.tasks[t];
      ports += task.ports.length + (task.discovery === undefined ? 0 : task.discovery.ports.length);
    }
  }
  const b = new TableBuilder(0, weight, { names: 4 * tasks + 2 * state.agents.length, records: 6 * tasks + 4 * ports + 2 * state.agents.length });
  const seenIps = new Map<string, Ip | null>();
  const ipsOf = (host: string): Ip[] => toIps(b, seenIps, hostIPs(host, inputs.addresses));

  // --- frameworks: `fw.domain.` A/AAAA and `_framework._tcp.fw.domain.` ------------------------
  const fwNames = state.frameworks.map((fw) => domainFrag(fw.name, label));
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
  const agents = new Map<string, { ips: Ip[]; tail: Uint8Array; tailText: string }>();
  const slaveOwner = b.name(`slave.${zone}`);
  const slaveSrvOwner = b.name(`_slave._tcp.${zone}`);
  for (const agent of state.agents) {
    const ips = agent.pid ? ipsOf(agent.pid.host) : [];
    if (agent.pid && ips.length > 0) {
      for (const ip of ips) addIP(b, slaveOwner, ip);
      b.addSRV(slaveSrvOwner, slaveOwner, agent.pid.port);
    }
    const tailText = agentTail(agent.id);
    agents.set(agent.id, { ips, tail: namePart(`-${tailText}`), tailText });
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

  // --- tasks ------------------------------------------------------------------------------
  // Indexed loops and plain arguments: this runs once per task, and on a server's first load it
  // runs before V8 has optimised it, when every iterator result and context object is a real
  // allocation.
  const frameworkTasks: FrameworkTasks[] = [];
  const frameworks = state.frameworks;
  const hash = namePart('-ybndr'); // `-` and five z-base-32 digits (task-hash.ts)
  // PTR names of tasks with an address of their own (reverse-ptrs.ts); null when PtrOn is off.
  const taskPtrs: TaskPtr[] | null = config.typed.ptr.on ? [] : null;
  const addressRules = config.typed.addresses;
  const ownSources = ownSourcesOf();
  // HealthPolicy (health-policy.ts): null for "ignore", whose records go straight to the builder.
  const policy = config.HealthPolicy ?? 'ignore';
  const gate = policy === 'ignore' ? null : new HealthGate(b);
  const slots: { tasks: FrameworkTasks; k: number }[] = [];
  let failingTasks = 0;
  for (let i = 0; i < frameworks.length; i++) {
    const generated: FrameworkTasks = { names: [], ids: [], bounds: [] };
    frameworkTasks.push(generated);
    const fname = fwNames[i];
    if (fname === '') continue;
    const fwTail = `.${fname}.${zone}`;
    const slaveTail = `.${fname}.slave.${zone}`;
    const fwCtx: FrameworkContext = {
      fwTail,
      parts: [namePart(fwTail), namePart(slaveTail), namePart(`._tcp${slaveTail}`), namePart(`._udp${slaveTail}`), namePart(`._tcp${fwTail}`), namePart(`._udp${fwTail}`)],
      groups: new Map(),
      label,
    };
    const tasks = frameworks[i].tasks;
    for (let t = 0; t < tasks.length; t++) {
      const task = tasks[t];
      if (task.state !== 'TASK_RUNNING') continue;
      const agent = agents.get(task.agentId);
      if (agent === undefined) continue; // not on a known agent
      const start = b.length;
      let shared: SharedSink = b;
      if (gate !== null) {
        const passing = passesPolicy(policy, task.running?.healthy);
        if (!passing) failingTasks++;
        shared = gate.sinkFor(passing, slots.length);
        slots.push({ tasks: generated, k: generated.names.length });
      }
      // The canonical label's suffix `-hash-agenttail`, as two name parts; the hash one is
      // rewritten per task (the interner copies the bytes it keeps).
      const hashText = task.idHash ?? taskHash(task.id);
      for (let k = 0; k < 5; k++) hash[k + 1] = hashText.charCodeAt(k);
      const taskIps = taskIPs(b, seenIps, task, agent.ips, addressRules, ownSources(task));
      const discovery = task.discovery !== undefined && task.discovery.name !== '' ? task.discovery : undefined;
      if (taskPtrs !== null && taskIps !== agent.ips && taskIps.length > 0) {
        collectTaskPtrs(taskPtrs, taskIps, agent.ips, label(discovery !== undefined ? discovery.name : task.name), `${hashText}-${agent.tailText}`, fwTail);
      }
      if (discovery !== undefined) {
        // Legacy set first, under the DiscoveryInfo name exactly as given (mesos-dns keeps it
        // "LEGACY, TODO: REMOVE"; the compatibility table contains it), then the sanitised one.
        // A name that is a label already gives the same set twice, and the second adds nothing
        // (every record a repeat, dropped by the builder, and not listed by /v1/enumerate).
        const sanitised = label(discovery.name);
        taskContextRecords(b, shared, fwCtx, task.ports, hash, agent.tail, taskIps, agent.ips, discovery, discovery.name);
        if (sanitised !== discovery.name) taskContextRecords(b, shared, fwCtx, task.ports, hash, agent.tail, taskIps, agent.ips, discovery, sanitised);
      } else {
        taskContextRecords(b, shared, fwCtx, task.ports, hash, agent.tail, taskIps, agent.ips, undefined, label(task.name));
      }
      generated.names.push(task.name);
      generated.ids.push(task.id);
      generated.bounds.push(start, b.length);
      if (config.typed.dcosNames) {
        // After the bounds: /v1/enumerate lists a task's Mesos records only (dcos-names.ts).
        const canonical = label(discovery !== undefined ? discovery.name : task.name);
        const slaveCanonical = makesEmptyLabel(canonical) ? undefined : `${canonical}-${hashText}-${agent.tailText}${slaveTail}`;
        addDcosTask(b, seenIps, label, { task, framework: frameworks[i].name, agentIps: agent.ips, containerIps: containerIPs(b, seenIps, task, addressRules.networks), slaveCanonical });
      }
    }
  }

  let health: TableHealth | undefined;
  if (gate !== null) {
    const settled = gate.settle();
    // Records added back for a task are listed under it by /v1/enumerate, like its others.
    const r = settled.ranges;
    for (let i = 0; i < r.length; i += 3) {
      const { tasks: generated, k } = slots[r[i]];
      (generated.extra ??= new Map()).set(k, [r[i + 1], r[i + 2]]);
    }
    health = Object.freeze({ policy, failingTasks, fallbackNames: settled.fallbackNames });
  }

  const built = b.finish({ zone, srvPriority: 0, srvWeight: weight, ...(config.typed.dcosNames ? { zones: [DCOS_ZONE] } : {}) });
  const pending: PendingEnumeration | null =
    state.frameworks.length === 0
      ? null
      : { frameworkNames: state.frameworks.map((fw) => fw.name), frameworkTasks, packed: built.packed, log: built.log, firstSeen: built.firstSeen };
  const reverse = taskPtrs === null ? undefined : reversePtrs(taskPtrs, new PackedNames(built.packed), zone, [...new Set(fwNames)], mname, config.typed.ptr.zones);
  return assemble(zone, mname, inputs, built.packed, pending, reverse, health);
}

/**
 * The frozen table. Kept apart from buildTable so that the enumeration getter's closure holds
 * only the enumeration log, not the build's working state (the master state, the builder).
 */
function assemble(
  zone: string,
  mname: string,
  inputs: BuildInputs,
  packed: PackedTable,
  pending: PendingEnumeration | null,
  reverse: ReverseData | undefined,
  health: TableHealth | undefined,
): RecordTable {
  const { config } = inputs;
  const soa: SoaData = Object.freeze({
    zone,
    mname,
    rname: config.SOARname,
    serial: inputs.serial,
    refresh: config.SOARefresh,
    retry: config.SOARetry,
    expire: config.SOAExpire,
    // RFC 2308 §4 negative-caching TTL; mesos-dns puts `ttl` here, not SOAMinttl.
    minimum: config.TTL,
  });
  // /v1/enumerate is rare; its rows (one object per added record, over a million for 100,000
  // tasks) are materialised from the log on first read instead of during every build.
  let log = pending;
  let enumeration: readonly EnumerateFramework[] | null = null;
  return Object.freeze({
    zone,
    ttl: config.TTL,
    soa,
    ns: Object.freeze([mname]),
    names: new PackedNames(packed),
    existing: new PackedExisting(packed),
    packed,
    ...(reverse === undefined ? {} : { reverse: reverseTable(reverse) }),
    ...(health === undefined ? {} : { health }),
    get enumeration(): readonly EnumerateFramework[] | null {
      if (log !== null) {
        enumeration = enumerate(log);
        log = null;
      }
      return enumeration;
    },
  });
}

interface FrameworkContext {
  /** `.fw.domain.` */
  fwTail: string;
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

function taskGroup(b: TableBuilder, fw: FrameworkContext, taskName: string): TaskGroup {
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
 */
function taskContextRecords(
  b: TableBuilder,
  shared: SharedSink,
  fw: FrameworkContext,
  ports: readonly number[],
  hash: Uint8Array,
  agentTail: Uint8Array,
  taskIps: readonly Ip[],
  slaveIps: readonly Ip[],
  discovery: Discovery | undefined,
  taskName: string,
): void {
  if (makesEmptyLabel(taskName)) return;
  const { fwTail } = fw;
  const group = taskGroup(b, fw, taskName);
  const canonicalOwner = b.nameOfParts(group.label, hash, agentTail, fw.parts[PART_FW]);
  const canonicalSlaveOwner = b.nameOfParts(group.label, hash, agentTail, fw.parts[PART_SLAVE]);
  // Shared names through `shared` (HealthPolicy), the task's canonical names straight to `b`.
  for (let k = 0; k < taskIps.length; k++) {
    sharedIP(shared, group.owner, taskIps[k]);
    addIP(b, canonicalOwner, taskIps[k]);
  }
  for (let k = 0; k < slaveIps.length; k++) {
    sharedIP(shared, group.slaveOwner, slaveIps[k]);
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
  if (!discovery) return;

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
}

function sharedIP(shared: SharedSink, owner: number, ip: Ip): void {
  if (ip.v6) shared.addAAAA(owner, ip.id);
  else shared.addA(owner, ip.id);
}
