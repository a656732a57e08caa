// MasterState -> RecordTable, the way mesos-dns's RecordGenerator.InsertState does it (behaviour
// reference §5.2–§5.6), with the decisions of docs/naming.md. Pure and deterministic: hostnames
// were resolved beforehand (resolve-hosts.ts) and the self addresses and serial are passed in.
//
// Insertion order follows mesos-dns (frameworks, agents, self, leader/masters, tasks) because
// it decides the order of values under a name and the /v1/enumerate rows.
import type { Config } from '../config.js';
import { ipLiteral, sameHostPort, splitHostPort } from '../mesos/pid.js';
import type { Discovery, MasterState, Task } from '../mesos/state.js';
import { domainFrag, labelFunc, type LabelFunc } from './labels.js';
import { hostIPs } from './resolve-hosts.js';
import type {
  EnumerateFramework,
  EnumerateRecord,
  EnumerateTask,
  NameRecords,
  RecordTable,
  SoaData,
  SrvRecord,
} from './table.js';
import { taskHash } from './task-hash.js';
import { ExistingNames } from './existing-names.js';

export interface BuildInputs {
  config: Pick<
    Config,
    | 'Domain'
    | 'TTL'
    | 'SRVRecordDefaultWeight'
    | 'IPSources'
    | 'EnforceRFC952'
    | 'SOAMname'
    | 'SOARname'
    | 'SOARefresh'
    | 'SOARetry'
    | 'SOAExpire'
  >;
  /** The current masters list, `host:port` each, in order (masterN numbering follows it). */
  masters: readonly string[];
  /** hostname -> IPs, resolved beforehand; a missing or empty entry means "contributes nothing". */
  addresses: ReadonlyMap<string, readonly string[]>;
  /** The addresses of this server, for the SOAMname record. */
  selfAddresses: readonly string[];
  serial: number;
}

/** An IP in canonical text, with its family decided once. */
interface Ip {
  text: string;
  v6: boolean;
}

interface MutableRecords {
  a: string[];
  aaaa: string[];
  srv: SrvRecord[];
}

/** Shared placeholder for "no records of this type"; replaced by a fresh array on first insert. */
const NONE: never[] = Object.freeze([]) as unknown as never[];

/** Lists up to this long are de-duplicated by scanning; longer ones get a Set of keys. */
const SCAN_LIMIT = 32;

/**
 * The record store under construction: name -> typed values, sets in insertion order. Callers
 * fetch a name's entry once (`entry`) and add several values to it, because with hundreds of
 * thousands of names the Map lookup is the dominant cost.
 */
class RecordSet {
  readonly names = new Map<string, MutableRecords>();
  readonly #keys = new Map<readonly unknown[], Set<string>>();
  /** While true, every newly added pair is appended to the log (a task's /v1/enumerate rows). */
  logging = false;
  /** The enumeration log as two parallel arrays: owner name, and IP text or SRV record. */
  readonly logNames: string[] = [];
  readonly logValues: (string | SrvRecord)[] = [];

  entry(name: string): MutableRecords {
    let rec = this.names.get(name);
    if (rec === undefined) {
      rec = { a: NONE, aaaa: NONE, srv: NONE };
      this.names.set(name, rec);
    }
    return rec;
  }

  addIP(rec: MutableRecords, name: string, ip: Ip): boolean {
    const list = ip.v6 ? rec.aaaa : rec.a;
    if (list === NONE) {
      // An array literal is allocated at its exact size; `[]` then push() reserves 17 slots,
      // which for hundreds of thousands of one-value names is most of the table's memory.
      if (ip.v6) rec.aaaa = [ip.text];
      else rec.a = [ip.text];
    } else {
      const seen = list.length <= SCAN_LIMIT ? list.includes(ip.text) : !this.#freshKey(list, ip.text);
      if (seen) return false;
      if (list.length === SCAN_LIMIT) this.#keys.set(list, new Set([...list, ip.text]));
      list.push(ip.text);
    }
    if (this.logging) {
      this.logNames.push(name);
      this.logValues.push(ip.text);
    }
    return true;
  }

  addSRV(rec: MutableRecords, name: string, srv: SrvRecord): boolean {
    const list = rec.srv;
    if (list === NONE) {
      rec.srv = [srv];
    } else {
      const seen =
        list.length <= SCAN_LIMIT
          ? list.some((s) => s.port === srv.port && s.target === srv.target)
          : !this.#freshKey(list, srvKey(srv));
      if (seen) return false;
      if (list.length === SCAN_LIMIT) this.#keys.set(list, new Set([...list.map(srvKey), srvKey(srv)]));
      list.push(srv);
    }
    if (this.logging) {
      this.logNames.push(name);
      this.logValues.push(srv);
    }
    return true;
  }

  /** Long lists carry a key Set, so de-duplication never goes quadratic. */
  #freshKey(list: readonly unknown[], key: string): boolean {
    const keys = this.#keys.get(list)!;
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  }
}

function srvKey(s: SrvRecord): string {
  return `${s.port} ${s.target}`;
}

/** Canonical, de-duplicated IPs; values that are not IP literals are skipped (mesos-dns: net.ParseIP). */
function toIps(values: readonly string[] | undefined): Ip[] {
  const out: Ip[] = [];
  if (values === undefined) return out;
  for (const v of values) {
    const text = ipLiteral(v);
    if (text === undefined || out.some((ip) => ip.text === text)) continue;
    out.push({ text, v6: text.includes(':') });
  }
  return out;
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

/** Task IPs per IPSources, HEAD (e888ef4) rule: every IP of the first source that yields any. */
function taskIPs(task: Task, agentIps: Ip[], sources: readonly string[]): Ip[] {
  for (const source of sources) {
    let ips: Ip[];
    switch (source) {
      case 'host':
        ips = agentIps;
        break;
      case 'netinfo':
        ips = toIps(task.running?.networkIPs);
        break;
      case 'mesos':
        ips = toIps(task.running?.mesosLabelIPs);
        break;
      case 'docker':
        ips = toIps(task.running?.dockerLabelIPs);
        break;
      default:
        ips = [];
    }
    if (ips.length > 0) return ips;
  }
  return [];
}

export function buildTable(state: MasterState, inputs: BuildInputs): RecordTable {
  const { config } = inputs;
  const zone = `${config.Domain.toLowerCase().replace(/\.+$/, '')}.`;
  const label = labelFunc(config.EnforceRFC952);
  const weight = config.SRVRecordDefaultWeight;
  const srv = (target: string, port: number): SrvRecord => ({ target, port, priority: 0, weight });
  const ipsOf = (host: string): Ip[] => toIps(hostIPs(host, inputs.addresses));
  const rs = new RecordSet();

  // --- frameworks: `fw.domain.` A/AAAA and `_framework._tcp.fw.domain.` (§5.3) -----------------
  const fwNames = state.frameworks.map((fw) => domainFrag(fw.name, label));
  state.frameworks.forEach((fw, i) => {
    const fname = fwNames[i];
    if (fname === '') return;
    // A framework without a pid (HTTP API scheduler) is found by its `hostname`, with no SRV.
    const ips = ipsOf(fw.pid ? fw.pid.host : fw.hostname);
    if (ips.length === 0) return;
    const owner = `${fname}.${zone}`;
    const rec = rs.entry(owner);
    for (const ip of ips) rs.addIP(rec, owner, ip);
    if (fw.pid) {
      const srvOwner = `_framework._tcp.${owner}`;
      rs.addSRV(rs.entry(srvOwner), srvOwner, srv(owner, fw.pid.port));
    }
  });

  // --- agents: `slave.domain.` and `_slave._tcp.domain.` ------------------------------------
  const agentIps = new Map<string, Ip[]>();
  const slaveOwner = `slave.${zone}`;
  const slaveSrvOwner = `_slave._tcp.${zone}`;
  for (const agent of state.agents) {
    const ips = agent.pid ? ipsOf(agent.pid.host) : [];
    if (agent.pid && ips.length > 0) {
      const rec = rs.entry(slaveOwner);
      for (const ip of ips) rs.addIP(rec, slaveOwner, ip);
      rs.addSRV(rs.entry(slaveSrvOwner), slaveSrvOwner, srv(slaveOwner, agent.pid.port));
    }
    agentIps.set(agent.id, ips);
  }

  // --- this server: the SOA MNAME record ------------------------------------------------------
  let mname = config.SOAMname.toLowerCase();
  if (!mname.endsWith('.')) mname += '.';
  for (const ip of toIps(inputs.selfAddresses)) rs.addIP(rs.entry(mname), mname, ip);

  masterRecords(rs, state, inputs.masters, zone, ipsOf, srv);

  // --- tasks ------------------------------------------------------------------------------
  const frameworkTasks: TaskLogRange[][] = [];
  rs.logging = true;
  state.frameworks.forEach((fw, i) => {
    const ranges: TaskLogRange[] = [];
    frameworkTasks.push(ranges);
    const fname = fwNames[i];
    if (fname === '') return;
    const fwCtx: FrameworkContext = {
      fwTail: `.${fname}.${zone}`,
      slaveTail: `.${fname}.slave.${zone}`,
      groups: new Map(),
      label,
      srv,
    };
    for (const task of fw.tasks) {
      if (task.state !== 'TASK_RUNNING') continue;
      const slaveIps = agentIps.get(task.agentId);
      if (slaveIps === undefined) continue; // not on a known agent
      const start = rs.logNames.length;
      const ctx: TaskContext = {
        task,
        suffix: `-${taskHash(task.id)}-${agentTail(task.agentId)}`,
        taskIps: taskIPs(task, slaveIps, config.IPSources),
        slaveIps,
        discovery: task.discovery && task.discovery.name !== '' ? task.discovery : undefined,
      };
      if (ctx.discovery) {
        // Legacy set first, under the DiscoveryInfo name exactly as given (mesos-dns keeps it
        // "LEGACY, TODO: REMOVE"; the compatibility table contains it), then the sanitised one.
        taskContextRecords(rs, fwCtx, ctx, ctx.discovery.name);
        taskContextRecords(rs, fwCtx, ctx, label(ctx.discovery.name));
      } else {
        taskContextRecords(rs, fwCtx, ctx, label(task.name));
      }
      ranges.push({ name: task.name, id: task.id, start, end: rs.logNames.length });
    }
  });
  rs.logging = false;

  const existing = new ExistingNames(rs.names, emptyNonTerminals(rs.names, zone));
  const pending: PendingEnumeration | null =
    state.frameworks.length === 0
      ? null
      : {
          frameworkNames: state.frameworks.map((fw) => fw.name),
          frameworkTasks,
          logNames: rs.logNames,
          logValues: rs.logValues,
        };
  return assemble(zone, mname, inputs, rs.names, existing, pending);
}

/**
 * The frozen table. Kept apart from buildTable so that the enumeration getter's closure holds
 * only the enumeration log, not the build's working state (the master state, the key Sets).
 */
function assemble(
  zone: string,
  mname: string,
  inputs: BuildInputs,
  names: ReadonlyMap<string, NameRecords>,
  existing: ReadonlySet<string>,
  pending: PendingEnumeration | null,
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
    names,
    existing,
    get enumeration(): readonly EnumerateFramework[] | null {
      if (log !== null) {
        enumeration = enumerate(log);
        log = null;
      }
      return enumeration;
    },
  });
}

/** What /v1/enumerate is made from: per framework its generated tasks and their log slices. */
interface PendingEnumeration {
  frameworkNames: string[];
  frameworkTasks: TaskLogRange[][];
  /** The enumeration log as parallel arrays: owner name, and IP text or SRV record. */
  logNames: readonly string[];
  logValues: readonly (string | SrvRecord)[];
}

/** One generated task and the slice of the enumeration log its records occupy. */
interface TaskLogRange {
  name: string;
  id: string;
  start: number;
  end: number;
}

/** §5.6: frameworks in state order (all of them), generated tasks, rows newly added by each task. */
function enumerate(log: PendingEnumeration): readonly EnumerateFramework[] {
  const { logNames, logValues } = log;
  return Object.freeze(
    log.frameworkNames.map((name, i): EnumerateFramework => ({
      name,
      tasks: log.frameworkTasks[i].map((t): EnumerateTask => {
        const records: EnumerateRecord[] = [];
        for (let j = t.start; j < t.end; j++) {
          const v = logValues[j];
          if (typeof v === 'string') records.push({ name: logNames[j], host: v, rtype: v.includes(':') ? 'AAAA' : 'A' });
          else records.push({ name: logNames[j], host: `${v.target}:${v.port}`, rtype: 'SRV' });
        }
        return { name: t.name, id: t.id, records: records.length > 0 ? records : null };
      }),
    })),
  );
}

/**
 * Every ancestor of an owner name, inside the zone, that owns nothing itself: the empty
 * non-terminals of RFC 8020 (`_tcp.marathon.mesos.`, `slave.mesos.` without agents), plus the apex.
 * Ancestors outside the zone (a SOAMname under another domain) are not part of it.
 */
function emptyNonTerminals(owners: ReadonlyMap<string, unknown>, zone: string): Set<string> {
  const ents = new Set<string>([zone]);
  const dotZone = `.${zone}`;
  for (const name of owners.keys()) {
    if (!name.endsWith(dotZone)) continue;
    let n = name;
    for (;;) {
      n = n.slice(n.indexOf('.') + 1);
      // Stop at the first ancestor already known: its own ancestors were handled with it. The
      // apex is in `ents` from the start, so the walk always ends.
      if (ents.has(n) || owners.has(n)) break;
      ents.add(n);
    }
  }
  return ents;
}


/**
 * `leader.`, `master.`, `masterN.` and the `_leader` SRVs, numbered as mesos-dns masterRecord
 * (its TestMasterRecord table): masters-list order; a master whose addresses are all already under
 * `master.` is a duplicate and uses no index; the leader, if not listed, gets the next index.
 * Hosts that do not resolve are skipped and use no index.
 */
function masterRecords(
  rs: RecordSet,
  state: MasterState,
  masters: readonly string[],
  zone: string,
  ipsOf: (host: string) => Ip[],
  srv: (target: string, port: number) => SrvRecord,
): void {
  const leader = state.leader;
  const leaderIps = ipsOf(leader.host);
  const leaderOwner = `leader.${zone}`;
  const masterOwner = `master.${zone}`;
  const addAll = (owner: string, ips: Ip[]): boolean => {
    const rec = rs.entry(owner);
    let added = false;
    for (const ip of ips) if (rs.addIP(rec, owner, ip)) added = true;
    return added;
  };
  if (leaderIps.length > 0) {
    addAll(leaderOwner, leaderIps);
    addAll(masterOwner, leaderIps);
    const target = srv(leaderOwner, leader.port);
    for (const owner of [`_leader._tcp.${zone}`, `_leader._udp.${zone}`]) rs.addSRV(rs.entry(owner), owner, target);
  }
  let index = 0;
  let leaderNumbered = false;
  for (const master of masters) {
    const hp = splitHostPort(master);
    if (hp === undefined) continue;
    const ips = ipsOf(hp.host);
    if (ips.length === 0) continue;
    const isLeader = sameHostPort(hp, leader);
    if (!isLeader) {
      if (!addAll(masterOwner, ips)) continue; // duplicate master
    } else if (leaderNumbered) {
      continue; // the leader listed twice
    }
    addAll(`master${index}.${zone}`, ips);
    index++;
    if (isLeader) leaderNumbered = true;
  }
  if (!leaderNumbered && leaderIps.length > 0) addAll(`master${index}.${zone}`, leaderIps);
}

interface FrameworkContext {
  /** `.fw.domain.` */
  fwTail: string;
  /** `.fw.slave.domain.` */
  slaveTail: string;
  /** Owner entries shared by all tasks with the same label in this framework. */
  groups: Map<string, TaskGroup>;
  label: LabelFunc;
  srv: (target: string, port: number) => SrvRecord;
}

/** The names one task label owns in a framework, looked up once instead of once per task. */
interface TaskGroup {
  owner: string;
  /** Entries are created on first value, so a name never exists without records. */
  rec: MutableRecords | undefined;
  slaveOwner: string;
  slaveRec: MutableRecords | undefined;
  /** `_task._tcp.fw.slave.`, `_task._udp.fw.slave.`, `_task._tcp.fw.`, `_task._udp.fw.`; filled on first use. */
  portOwners: string[] | undefined;
  portRecs: MutableRecords[] | undefined;
  /** DiscoveryInfo SRV owners by raw (protocol, port name); filled on first use. */
  discovery: Map<string, { owners: string[]; recs: MutableRecords[] }> | undefined;
}

interface TaskContext {
  task: Task;
  /** `-hash-agenttail`, appended to the task label to form the canonical label. */
  suffix: string;
  taskIps: Ip[];
  slaveIps: Ip[];
  discovery: Discovery | undefined;
}

function taskGroup(rs: RecordSet, fw: FrameworkContext, taskName: string): TaskGroup {
  let group = fw.groups.get(taskName);
  if (group === undefined) {
    group = {
      owner: taskName + fw.fwTail,
      rec: undefined,
      slaveOwner: taskName + fw.slaveTail,
      slaveRec: undefined,
      portOwners: undefined,
      portRecs: undefined,
      discovery: undefined,
    };
    fw.groups.set(taskName, group);
  }
  return group;
}

/** One task's records under one task label (mesos-dns taskContextRecord, chains.go order). */
function taskContextRecords(rs: RecordSet, fw: FrameworkContext, ctx: TaskContext, taskName: string): void {
  if (makesEmptyLabel(taskName)) return;
  const { fwTail, slaveTail } = fw;
  const { discovery } = ctx;
  const group = taskGroup(rs, fw, taskName);
  const canonical = taskName + ctx.suffix;
  const canonicalOwner = canonical + fwTail;
  const canonicalSlaveOwner = canonical + slaveTail;
  if (ctx.taskIps.length > 0) {
    const rec = (group.rec ??= rs.entry(group.owner));
    const canonicalRec = rs.entry(canonicalOwner);
    for (const ip of ctx.taskIps) {
      rs.addIP(rec, group.owner, ip);
      rs.addIP(canonicalRec, canonicalOwner, ip);
    }
  }
  if (ctx.slaveIps.length > 0) {
    const slaveRec = (group.slaveRec ??= rs.entry(group.slaveOwner));
    const canonicalSlaveRec = rs.entry(canonicalSlaveOwner);
    for (const ip of ctx.slaveIps) {
      rs.addIP(slaveRec, group.slaveOwner, ip);
      rs.addIP(canonicalSlaveRec, canonicalSlaveOwner, ip);
    }
  }

  // Resource (host) ports target the agent canonical name: `.slave.` always, and the plain
  // framework name only while the task has no DiscoveryInfo.
  const service = `_${taskName}`;
  const ports = ctx.task.ports;
  if (ports.length > 0) {
    if (group.portOwners === undefined) {
      group.portOwners = [
        `${service}._tcp${slaveTail}`,
        `${service}._udp${slaveTail}`,
        `${service}._tcp${fwTail}`,
        `${service}._udp${fwTail}`,
      ];
      group.portRecs = [];
    }
    const owners = group.portOwners;
    const recs = group.portRecs!;
    const count = discovery ? 2 : 4;
    for (let k = recs.length; k < count; k++) recs.push(rs.entry(owners[k]));
    for (const port of ports) {
      const target = fw.srv(canonicalSlaveOwner, port);
      for (let k = 0; k < count; k++) rs.addSRV(recs[k], owners[k], target);
    }
  }
  if (!discovery) return;

  // DiscoveryInfo ports target the task canonical name. An empty protocol means both; a named
  // port is published a second time under `_name.`.
  group.discovery ??= new Map();
  for (const port of discovery.ports) {
    const key = `${port.protocol}\u0000${port.name}`;
    let set = group.discovery.get(key);
    if (set === undefined) {
      const protocol = fw.label(port.protocol);
      const plain =
        protocol === '' ? [`${service}._tcp${fwTail}`, `${service}._udp${fwTail}`] : [`${service}._${protocol}${fwTail}`];
      const portName = fw.label(port.name);
      const owners = portName === '' ? plain : [...plain, ...plain.map((o) => `_${portName}.${o}`)];
      set = { owners, recs: owners.map((o) => rs.entry(o)) };
      group.discovery.set(key, set);
    }
    const target = fw.srv(canonicalOwner, port.number);
    for (let k = 0; k < set.owners.length; k++) rs.addSRV(set.recs[k], set.owners[k], target);
  }
}
